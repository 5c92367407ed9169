using System.Diagnostics;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// The thread that moves messages (the socket reactor's) runs nothing that can hold it up: in the shipped process,
/// relayed round trips keep their latency while a large document is applied and /metrics is scraped
/// over and over.
/// </summary>
public sealed class RelayIsolationTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wsproxy-isolation-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Document(string upstream, int extraRoutes)
    {
        var yaml = new StringBuilder($"routes:\n  - {{name: echo, match: {{path: /echo}}, upstream: {{endpoints: [{{url: '{upstream}'}}]}}}}\n");
        for (var i = 0; i < extraRoutes; i++)
        {
            // Regular expressions and header conditions: each route costs the apply some work.
            yaml.Append($"  - {{name: r{i}, match: {{path: '/rooms/{i}/[a-z]+[0-9]*', pathType: RegularExpression, headers: [{{name: x-tenant, value: t{i}}}]}}, upstream: {{endpoints: [{{url: '{upstream}'}}]}}, headers: {{set: {{x-route: r{i}}}}}}}\n");
        }

        return yaml.ToString();
    }

    [Fact]
    public async Task Round_trips_keep_their_latency_while_a_large_document_applies_and_metrics_are_scraped()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var config = Path.Combine(_dir.FullName, "config.yaml");
        await File.WriteAllTextAsync(config, Document(upstream.WsUrl(), 0));
        using var sidecar = SidecarProcess.Start("--config", config, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0");
        await sidecar.WaitReadyAsync();
        var plain = new Uri(sidecar.Ready["plain"]);
        var admin = new Uri(sidecar.Ready["admin"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var first = await RevisionAsync(http, admin);
        using var ws = await Ws.ConnectAsync(new Uri($"ws://127.0.0.1:{plain.Port}/echo"));

        // Scrapes in a loop from here on.
        using var stopScraping = new CancellationTokenSource();
        var scrapes = 0;
        var scraping = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopScraping.IsCancellationRequested)
            {
                (await http.GetAsync(new Uri(admin, "/metrics"), stopScraping.Token)).EnsureSuccessStatusCode();
                Interlocked.Increment(ref scrapes);
            }
        })));
        // Quiet: the round trip this machine gives while scrapes run (other tests may load it too), both ends warm.
        await RoundTripsAsync(ws, TimeSpan.FromSeconds(1), () => Task.FromResult(false));
        var quiet = await RoundTripsAsync(ws, TimeSpan.FromSeconds(1), () => Task.FromResult(false));

        // Busy: the same, and a 3,000-route document written over the file.
        await File.WriteAllTextAsync(config, Document(upstream.WsUrl(), 3000));
        var applied = Stopwatch.StartNew();
        var busy = await RoundTripsAsync(ws, TimeSpan.FromSeconds(60), async () => await RevisionAsync(http, admin) != first);
        applied.Stop();
        await stopScraping.CancelAsync();
        await scraping.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.True(scrapes > 0, "no scrape completed");
        Assert.True(busy.Count > 10, $"only {busy.Count} round trips while the document applied in {applied.ElapsedMilliseconds} ms");
        // A thread that moves messages and also applied the document would stall a round trip for the whole apply. The
        // bar is the higher of a fixed one and half the apply: a stall of a few hundred milliseconds from the machine alone
        // (a clean run of make test here once saw 576 ms during a 1,598 ms apply, 15 ms quiet) is not the relay's.
        var worst = busy.Max();
        Assert.True(worst < TimeSpan.FromMilliseconds(250) + (10 * quiet.Max()) || worst < applied.Elapsed / 2,
            $"worst round trip {worst.TotalMilliseconds:0} ms while applying ({applied.ElapsedMilliseconds} ms, {scrapes} scrapes); quiet worst {quiet.Max().TotalMilliseconds:0.0} ms; slow: {string.Join(",", busy.Select((t, i) => (t, i)).Where(x => x.t.TotalMilliseconds > 50).Select(x => $"{x.i}:{x.t.TotalMilliseconds:0}"))} of {busy.Count}");
    }

    /// <summary>Echo round trips, one after another, until <paramref name="done"/> (checked every 50) or the limit.</summary>
    private static async Task<List<TimeSpan>> RoundTripsAsync(System.Net.WebSockets.ClientWebSocket ws, TimeSpan limit, Func<Task<bool>> done)
    {
        var times = new List<TimeSpan>();
        var until = Stopwatch.StartNew();
        while (until.Elapsed < limit && !(times.Count % 50 == 49 && await done()))
        {
            var started = Stopwatch.GetTimestamp();
            await ws.SendTextAsync("ping");
            Assert.Equal("ping", await ws.ReceiveTextAsync());
            times.Add(Stopwatch.GetElapsedTime(started));
        }

        return times;
    }

    private static async Task<string> RevisionAsync(HttpClient http, Uri admin)
    {
        using var config = JsonDocument.Parse(await http.GetStringAsync(new Uri(admin, "/v1/config")));
        return config.RootElement.GetProperty("revision").GetString()!;
    }
}
