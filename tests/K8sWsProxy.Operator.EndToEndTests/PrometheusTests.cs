namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>
/// A real Prometheus scrapes the operator and the three sidecars while the example route carries traffic: the
/// operator's exposition passes promtool, and every query of the shipped Grafana dashboard returns series.
/// </summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class PrometheusTests(ProxyCluster cluster) : ClusterTest(cluster)
{
    [Fact]
    public async Task Every_dashboard_query_returns_series_from_the_operator_and_the_sidecars()
    {
        await Cluster.ApplyAsync(Cluster.ExampleRoute() + "\n---\n" + Cluster.MessageRulesRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        await Cluster.WaitForRouteAsync("snot", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        var down = await Cluster.FailAnUpstreamOnEverySidecarAsync();
        await Cluster.WaitForRouteAsync("down", r => r.Status!.UpstreamFailures.Any(f => f.Sidecars == 3), "its endpoint failing on 3 sidecars");
        var operatorMetrics = new Uri($"http://127.0.0.1:{Cluster.Operators[0].HealthPort}/");
        var exposition = (await Scrape.FromAsync(operatorMetrics)).Text;
        var (exit, output) = await PrometheusServer.PromtoolAsync(["check", "metrics"], exposition);
        Assert.True(exit == 0, output);
        // The operator's own fan-out: each route applied reached the connected sidecars.
        Assert.Matches(@"(?m)^wsproxy_operator_config_fanout_seconds_count [1-9]", exposition);

        await using var prometheus = PrometheusServer.Start(
            Cluster.Sidecars.Select(s => ("sidecar", $"{s.Ip}:{s.AdminPort}", s.PodName))
                .Append(("operator", $"127.0.0.1:{Cluster.Operators[0].HealthPort}", Cluster.Operators[0].Identity)));

        // Messages both ways, a normal close, a refused origin, a rule's reply and a failover on every sidecar.
        foreach (var sidecar in Cluster.Sidecars)
        {
            using (var snot = await Ws.ConnectAsync(sidecar.PlainUrl("/snot")))
            {
                await snot.SendTextAsync("snot");
                Assert.Equal("badger", await snot.ReceiveTextAsync());
                await snot.SendTextAsync("__abort");
                Assert.Contains("upstream lost", await snot.ReceiveTextAsync(), StringComparison.Ordinal);
                Assert.Contains("upstream reconnected", await snot.ReceiveTextAsync(), StringComparison.Ordinal);
            }

            using (var chat = await ChatConnection.OpenAsync(sidecar))
            {
                await chat.Socket.SendTextAsync("hello");
                Assert.Equal("hello", await chat.Socket.ReceiveTextAsync());
                await chat.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            }

            Assert.Equal(System.Net.HttpStatusCode.Forbidden, await Ws.RefusedStatusAsync(sidecar.PlainUrl("/ws"), o =>
            {
                o.SetRequestHeader("Host", "chat.example.com");
                o.SetRequestHeader("x-region", "eu-west");
                o.SetRequestHeader("Origin", "https://evil.example.com");
            }));
        }

        await prometheus.WaitForScrapesAsync(targets: 4);
        // Messages held during a failover need an upstream slow to take the connection back: the sidecar's own
        // PrometheusTests make one; here the reconnect wins the race with any message.
        foreach (var (panel, query) in PrometheusServer.DashboardQueries().Where(q => !q.Query.Contains("wsproxy_failover_messages_total", StringComparison.Ordinal)))
        {
            Assert.True(await prometheus.QueryAsync(query) is { Count: > 0 }, $"panel '{panel}': {query} returned no series");
        }

        var synced = await prometheus.QueryAsync("max by (state) (wsproxy_operator_route_sidecars{route=\"chat\"})");
        Assert.All(synced!, s => Assert.Equal("3", s.GetProperty("value")[1].GetString()));
        var failing = Assert.Single((await prometheus.QueryAsync("wsproxy_operator_route_upstream_failing_sidecars"))!);
        Assert.Equal((down, "3"), (failing.GetProperty("metric").GetProperty("endpoint").GetString(), failing.GetProperty("value")[1].GetString()));
    }
}
