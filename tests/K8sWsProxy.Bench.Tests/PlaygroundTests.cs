using System.Net.WebSockets;
using System.Text.RegularExpressions;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Tests;

/// <summary>`make run`, the playground, started as make starts it and tried as its printout tells a user to.</summary>
public sealed class PlaygroundTests
{
    [Fact]
    public async Task The_printed_commands_and_addresses_work_and_sigterm_stops_it()
    {
        using var playground = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.Bench.dll"), "playground"], name: "playground");
        await playground.WaitForOutputAsync("Ctrl-C stops everything.", TimeSpan.FromMinutes(2));
        var output = playground.Stdout;
        var kubeconfig = Printed(output, "export KUBECONFIG=")[0];
        var sidecars = Printed(output, "Through the sidecars (each a pod): ").Select(u => new Uri(u)).ToList();
        var operatorHealth = new Uri(Printed(output, "the operator's health: ")[0]);
        Assert.Equal(3, sidecars.Count);
        Assert.Matches(@"TLS \(.*\): wss://127\.0\.0\.2:\d+/", output);

        // Bare kubectl, as printed: the kubeconfig's namespace is the playground's.
        using var kubectl = new Kubectl(kubeconfig);
        await Poll.UntilAsync(async () => Regex.IsMatch((await kubectl.RunAsync("get", "wsr")).Stdout, @"(?m)^echo\s+True\s+Synced\s+3/3\s+True\s"), "kubectl get wsr: echo True Synced 3/3", TimeSpan.FromSeconds(30));

        // Every field explained (here one, the schema test checks them all).
        Assert.Contains("Which WebSocket requests the route takes", (await kubectl.RunAsync("explain", "websocketroute.spec.match")).Stdout, StringComparison.Ordinal);

        foreach (var sidecar in sidecars)
        {
            using var socket = await Ws.ConnectAsync(sidecar);
            await socket.SendTextAsync($"through {sidecar.Host}");
            Assert.Equal($"through {sidecar.Host}", await socket.ReceiveTextAsync());
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        using var http = new HttpClient();
        Assert.StartsWith("ready leader=True sidecars=3", await http.GetStringAsync(operatorHealth), StringComparison.Ordinal);

        // Prometheus scrapes the operator and the three sidecars; the dashboard's page opens.
        var prometheus = new Uri(Printed(output, "Prometheus, scraping the operator and every sidecar: ")[0]);
        await Poll.UntilAsync(async () => (await http.GetStringAsync(new Uri(prometheus, "/api/v1/query?query=sum(up)"))).Contains("\"4\"", StringComparison.Ordinal), "Prometheus scraping 4 targets", TimeSpan.FromSeconds(60));
        var dashboard = Printed(output, "the Grafana dashboard's panels, as Prometheus graphs: ")[0];
        Assert.Contains("g0.expr=", dashboard, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(new Uri(dashboard))).StatusCode);

        // The demo page in a real browser: connect, send, receive the echo, close, with the page's own buttons.
        var demo = new Uri(Printed(output, "demo page:  ")[0]);
        await using (var chromium = await HeadlessChromium.OpenAsync(demo))
        {
            var log = await chromium.EvaluateAsync("""
                (async () => {
                  const until = test => new Promise(done => { const t = setInterval(() => { if (test()) { clearInterval(t); done(); } }, 20); });
                  await until(() => document.readyState === 'complete' && document.getElementById('connect'));
                  const log = document.getElementById('log');
                  document.getElementById('connect').click();
                  await until(() => log.textContent.includes('open'));
                  document.getElementById('message').value = 'from the browser';
                  document.getElementById('send').click();
                  await until(() => log.textContent.includes('< from the browser'));
                  document.getElementById('close').click();
                  await until(() => log.textContent.includes('closed'));
                  return log.textContent;
                })()
                """, TimeSpan.FromSeconds(30));
            Assert.Equal("open\n> from the browser\n< from the browser\nclosed 1000 bye\n", log);
        }

        // The examples a user applies next to it leave its route alone.
        foreach (var example in Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "examples"), "*.yaml"))
        {
            Assert.DoesNotMatch(@"metadata: \{name: echo, namespace: demo\}", File.ReadAllText(example));
        }

        playground.Signal(15);
        Assert.Equal(0, await playground.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>The words after <paramref name="label"/> on its line of the printout.</summary>
    private static string[] Printed(string output, string label)
    {
        var at = output.IndexOf(label, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{label}' is not in the printout:\n{output}");
        var start = at + label.Length;
        return output[start..output.IndexOf('\n', start)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
