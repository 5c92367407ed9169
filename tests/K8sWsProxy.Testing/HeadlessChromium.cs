using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sWsProxy.Testing;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol: a page opened at a URL, JavaScript evaluated in it
/// (awaiting its promise). Killed by its process id on dispose, its profile folder removed.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _page = new();
    private int _nextId;

    private HeadlessChromium(ChildProcess process, DirectoryInfo profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts the browser and opens <paramref name="url"/> in a new page.</summary>
    public static async Task<HeadlessChromium> OpenAsync(Uri url)
    {
        var profile = Directory.CreateTempSubdirectory("wsproxy-chromium-");
        var process = ChildProcess.Start("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}", "about:blank"], name: "chromium");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            // With port 0 the browser writes the port it took into its profile.
            var portFile = Path.Combine(profile.FullName, "DevToolsActivePort");
            await Poll.UntilAsync(() => File.Exists(portFile) && File.ReadAllLines(portFile).Length >= 2, "Chromium's DevTools port", TimeSpan.FromSeconds(30));
            var port = File.ReadAllLines(portFile)[0].Trim();
            using var http = new HttpClient();
            using var response = await http.PutAsync(new Uri($"http://127.0.0.1:{port}/json/new?{url.AbsoluteUri}"), null);
            var target = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            await browser._page.ConnectAsync(new Uri(target["webSocketDebuggerUrl"]!.ToString()), CancellationToken.None);
            await Poll.UntilAsync(() => browser.LoadedAsync(url), $"{url} loaded", TimeSpan.FromSeconds(30));
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Whether the page shows <paramref name="url"/>, loaded; false while it is still navigating.</summary>
    private async Task<bool> LoadedAsync(Uri url)
    {
        try
        {
            return await EvaluateAsync("location.href + ' ' + document.readyState", TimeSpan.FromSeconds(5)) == $"{url.AbsoluteUri} complete";
        }
        catch (InvalidOperationException)
        {
            return false; // "Execution context was destroyed": the navigation replaced it
        }
    }

    /// <summary>The value of <paramref name="expression"/> in the page, its promise awaited, as a string.</summary>
    public async Task<string> EvaluateAsync(string expression, TimeSpan timeout)
    {
        var id = ++_nextId;
        var command = new JsonObject
        {
            ["id"] = id,
            ["method"] = "Runtime.evaluate",
            ["params"] = new JsonObject { ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true },
        };
        using var cancel = new CancellationTokenSource(timeout);
        await _page.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, true, cancel.Token);
        var buffer = new byte[1 << 20];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _page.ReceiveAsync(buffer, cancel.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var reply = JsonNode.Parse(message.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id)
            {
                continue; // an event of the page
            }

            if (reply["result"]?["exceptionDetails"] is { } exception)
            {
                throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
            }

            return reply["result"]?["result"]?["value"]?.ToString() ?? throw new InvalidOperationException(reply.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
    }

    public ValueTask DisposeAsync()
    {
        _page.Dispose();
        _process.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file the browser was still writing as it died; the temporary folder goes with the machine.
        }

        return ValueTask.CompletedTask;
    }
}
