using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using K8sWsProxy.Sidecar.Tests.Infrastructure;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// A real Prometheus (Debian's) scrapes a running sidecar: the exposition passes promtool, and every query of the
/// shipped Grafana dashboard runs without error and returns series.
/// </summary>
public sealed partial class PrometheusTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wsproxy-prometheus-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Chart(string file) => Path.Combine(PeerProcess.PeersDirectory, "..", "..", "charts", "k8s-ws-proxy", "dashboards", file);

    [Fact]
    public async Task Promtool_accepts_the_exposition_and_the_alert_rules()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes: [{name: chat, match: {path: /}, upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}}]
            """);
        using (var ws = await Ws.ConnectAsync(sidecar.Ws("/")))
        {
            await ws.SendTextAsync("hello");
            await ws.ReceiveTextAsync();
        }

        var exposition = (await Scrape.FromAsync(sidecar.Host.AdminUrl)).Text;
        var (metricsExit, metricsOutput) = await RunAsync("promtool", ["check", "metrics"], exposition);
        Assert.True(metricsExit == 0, metricsOutput);
        var (rulesExit, rulesOutput) = await RunAsync("promtool", ["check", "rules", Chart("alerts.yaml")], null);
        Assert.True(rulesExit == 0, rulesOutput);
    }

    [Fact]
    public async Task Every_dashboard_query_returns_series_from_a_real_prometheus()
    {
        var certificates = new TestCertificates().Issue("chat", "chat.example.com");
        await using var upstream = await TestUpstream.StartAsync();
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: chat
                namespace: demo
                match: {hosts: [chat.example.com], path: /}
                upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}
                websocket: {allowedOrigins: ["https://chat.example.com"]}
                tls: {certificatePem: {{{JsonSerializer.Serialize(certificates.CertificatePem)}}}, privateKeyPem: {{{JsonSerializer.Serialize(certificates.KeyPem)}}}}
            """);

        var port = Ports.Closed();
        var config = Path.Combine(_dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global: {"{"}scrape_interval: 1s, evaluation_interval: 1s{"}"}
            scrape_configs:
              - job_name: sidecar
                static_configs:
                  - targets: ["127.0.0.1:{sidecar.Host.AdminUrl.Port}"]
                    labels: {"{"}pod: sidecar-0{"}"}
            """);
        using var prometheus = Process.Start(new ProcessStartInfo("prometheus")
        {
            ArgumentList = { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir.FullName, "data")}", $"--web.listen-address=127.0.0.1:{port}" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            var api = new Uri($"http://127.0.0.1:{port}/");
            using var http = new HttpClient();

            // Traffic that touches every panel: messages both ways, a close, a refused origin, a refused document.
            using (var ws = await Ws.ConnectAsync(sidecar.Ws("/"), o => o.SetRequestHeader("Host", "chat.example.com")))
            {
                for (var i = 0; i < 10; i++)
                {
                    await ws.SendTextAsync($"message {i}");
                    await ws.ReceiveTextAsync();
                }

                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            }

            await Ws.RefusedStatusAsync(sidecar.Ws("/"), o =>
            {
                o.SetRequestHeader("Host", "chat.example.com");
                o.SetRequestHeader("Origin", "https://evil.example.com");
            });
            Assert.False((await sidecar.Host.ApplyAsync(TestSidecar.ParseUnvalidated("routes: [{name: broken, upstream: {endpoints: []}}]"))).Accepted);

            // Enough scrapes for rate() windows.
            await Wait.UntilAsync(async () => await QueryAsync(http, api, "count_over_time(wsproxy_config_reloads_total{result=\"failure\"}[1m])") is { } r && r.Count > 0 && int.Parse(r[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 3, "three scrapes after the traffic", TimeSpan.FromSeconds(60));

            using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Chart("k8s-ws-proxy.json")));
            var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
                .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!, Expr: t.GetProperty("expr").GetString()!)))
                .Concat(dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                    .Where(v => v.GetProperty("type").GetString() == "query")
                    .Select(v => (Panel: "variable " + v.GetProperty("name").GetString(), Expr: LabelValues().Match(v.GetProperty("definition").GetString()!).Groups[1].Value)))
                .ToList();
            Assert.True(queries.Count >= 14, $"only {queries.Count} queries found");
            foreach (var (panel, expr) in queries)
            {
                var query = expr.Replace("$namespace", ".*", StringComparison.Ordinal).Replace("$route", ".*", StringComparison.Ordinal)
                    .Replace("$pod", ".*", StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal);
                var result = await QueryAsync(http, api, query);
                Assert.True(result is { Count: > 0 }, $"panel '{panel}': {query} returned no series");
            }
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }
    }

    /// <summary>The result vector of an instant query; fails the test on a PromQL error.</summary>
    private static async Task<List<JsonElement>?> QueryAsync(HttpClient http, Uri api, string query)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(new Uri(api, "/api/v1/query?query=" + Uri.EscapeDataString(query)));
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }

        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return null; // still starting ("Service Unavailable" until its storage is ready)
        }

        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("status").GetString() == "success", $"{query}: {body}");
        return [.. json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] args, string? input)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, output);
    }

    [GeneratedRegex(@"^label_values\((.*),\s*\w+\)$")]
    private static partial Regex LabelValues();
}
