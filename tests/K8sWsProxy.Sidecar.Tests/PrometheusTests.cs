namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// A real Prometheus (Debian's) scrapes a running sidecar: the exposition passes promtool, and every sidecar query of
/// the shipped Grafana dashboard runs without error and returns series. (The operator's panels run in the operator's
/// end-to-end tests, where an operator is running.)
/// </summary>
public sealed class PrometheusTests
{
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
        var (metricsExit, metricsOutput) = await PrometheusServer.PromtoolAsync(["check", "metrics"], exposition);
        Assert.True(metricsExit == 0, metricsOutput);
        var (rulesExit, rulesOutput) = await PrometheusServer.PromtoolAsync(["check", "rules", PrometheusServer.ChartFile("alerts.yaml")], null);
        Assert.True(rulesExit == 0, rulesOutput);
    }

    [Fact]
    public async Task Every_sidecar_dashboard_query_returns_series_from_a_real_prometheus()
    {
        var certificates = new TestCertificates().Issue("chat", "chat.example.com");
        // Slow to accept, so that a message certainly comes while the failover below reconnects.
        await using var upstream = await TestUpstream.StartAsync(acceptDelay: TimeSpan.FromMilliseconds(300));
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: chat
                namespace: demo
                match: {hosts: [chat.example.com], path: /}
                upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}], onLost: Reconnect, failover: {notify: true}}
                messages: {rules: [{name: snot, match: {exact: snot}, action: Reply, text: badger}]}
                websocket: {allowedOrigins: ["https://chat.example.com"]}
                tls: {certificatePem: {{{JsonSerializer.Serialize(certificates.CertificatePem)}}}, privateKeyPem: {{{JsonSerializer.Serialize(certificates.KeyPem)}}}}
            """);
        await using var prometheus = PrometheusServer.Start([("sidecar", $"127.0.0.1:{sidecar.Host.AdminUrl.Port}", "sidecar-0")]);

        // Traffic that touches every sidecar panel: messages both ways, a rule's reply, a failover with a message held
        // meanwhile, a close, a refused origin, a refused document.
        using (var ws = await Ws.ConnectAsync(sidecar.Ws("/"), o => o.SetRequestHeader("Host", "chat.example.com")))
        {
            for (var i = 0; i < 10; i++)
            {
                await ws.SendTextAsync($"message {i}");
                await ws.ReceiveTextAsync();
            }

            await ws.SendTextAsync("snot");
            Assert.Equal("badger", await ws.ReceiveTextAsync());
            await ws.SendTextAsync("__abort");
            Assert.Contains("upstream lost", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
            await ws.SendTextAsync("held");
            Assert.Contains("upstream reconnected", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
            Assert.Equal("held", await ws.ReceiveTextAsync());

            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        await Ws.RefusedStatusAsync(sidecar.Ws("/"), o =>
        {
            o.SetRequestHeader("Host", "chat.example.com");
            o.SetRequestHeader("Origin", "https://evil.example.com");
        });
        Assert.False((await sidecar.Host.ApplyAsync(TestSidecar.ParseUnvalidated("routes: [{name: broken, upstream: {endpoints: []}}]"))).Accepted);

        await prometheus.WaitForScrapesAsync(targets: 1);
        var queries = PrometheusServer.DashboardQueries().Where(q => !q.Query.Contains("wsproxy_operator_", StringComparison.Ordinal)).ToList();
        Assert.True(queries.Count >= 18, $"only {queries.Count} queries found");
        foreach (var (panel, query) in queries)
        {
            Assert.True(await prometheus.QueryAsync(query) is { Count: > 0 }, $"panel '{panel}': {query} returned no series");
        }
    }
}
