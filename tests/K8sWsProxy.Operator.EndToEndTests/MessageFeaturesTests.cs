using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>
/// Message rules and upstream failover as a platform engineer sets them up: a WebSocketRoute applied with kubectl,
/// translated by the operator, served by the sidecar processes, with real upstream processes that get killed.
/// </summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class MessageFeaturesTests(ProxyCluster cluster, ITestOutputHelper output) : ClusterTest(cluster)
{
    [Fact]
    public async Task The_snot_route_answers_badger_and_a_rule_change_applies_without_touching_other_routes()
    {
        await Cluster.ApplyAsync(Cluster.MessageRulesRoute() + "\n---\n" + PlainRoute());
        await Cluster.WaitForRouteAsync("snot", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        await Cluster.WaitForRouteAsync("plain", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        var sidecar = Cluster.Sidecars[0];
        using var plain = await Ws.ConnectAsync(sidecar.PlainUrl("/plain"));
        using (var snot = await Ws.ConnectAsync(sidecar.PlainUrl("/snot")))
        {
            await snot.SendTextAsync("snot");
            Assert.Equal("badger", await snot.ReceiveTextAsync());
            await snot.SendTextAsync("anything else");
            Assert.Equal("anything else", await snot.ReceiveTextAsync());
        }

        await Cluster.ApplyAsync(Cluster.MessageRulesRoute("ferret"));
        await Cluster.WaitForRouteAsync("snot", r => r.Metadata.Generation == 2 && ProxyCluster.IsReady(r, 3, 3), "generation 2 on 3/3");
        foreach (var s in Cluster.Sidecars)
        {
            using var snot = await Ws.ConnectAsync(s.PlainUrl("/snot"));
            await snot.SendTextAsync("snot");
            Assert.Equal("ferret", await snot.ReceiveTextAsync());
        }

        // The connection on the other route never noticed.
        await plain.SendTextAsync("still here");
        Assert.Equal("still here", await plain.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, plain.State);
    }

    [Fact]
    public async Task An_upstream_killed_mid_stream_is_replaced_while_the_client_keeps_sending()
    {
        var ports = new[] { Ports.Free(), Ports.Free() };
        var upstreams = ports.Select((port, i) => StartEcho(port, $"u{i}")).ToArray();
        try
        {
            await Task.WhenAll(ports.Select(WaitListeningAsync));
            await Cluster.ApplyAsync($$$"""
                apiVersion: k8swsproxy.io/v1alpha1
                kind: WebSocketRoute
                metadata: {name: failover, namespace: {{{ProxyCluster.Namespace}}}}
                spec:
                  selector: {matchLabels: {app: chat}}
                  match: {path: /failover}
                  upstream:
                    endpoints: [{url: "ws://127.0.0.1:{{{ports[0]}}}/"}, {url: "ws://127.0.0.1:{{{ports[1]}}}/"}]
                    retry: {attempts: 5, initialInterval: 100ms}
                    onLost: Reconnect
                    failover: {notify: true}
                """);
            await Cluster.WaitForRouteAsync("failover", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");

            using var ws = await Ws.ConnectAsync(Cluster.Sidecars[1].PlainUrl("/failover"));
            await ws.SendTextAsync("__info");
            using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
            var first = info.RootElement.GetProperty("name").GetString()!;

            // One message every 2 ms while the upstream that echoes them is SIGKILLed halfway through.
            const int Count = 1000;
            var sender = Task.Run(async () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    await ws.SendTextAsync($"n{i:D4}");
                    if (i == Count / 2)
                    {
                        upstreams[first == "u0" ? 0 : 1].Kill();
                    }

                    await Task.Delay(2);
                }

                await ws.SendTextAsync("__info");
            });

            var echoed = new List<int>();
            var notices = new List<JsonElement>();
            string? last = null;
            var clock = Stopwatch.StartNew();
            while (last is null && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var text = await ws.ReceiveTextAsync();
                if (text.StartsWith('n'))
                {
                    // Whole messages only: a message cut by the kill never arrives in part.
                    Assert.Matches(@"^n\d{4}$", text);
                    echoed.Add(int.Parse(text[1..], CultureInfo.InvariantCulture));
                }
                else if (text.Contains("\"event_id\"", StringComparison.Ordinal))
                {
                    notices.Add(JsonDocument.Parse(text).RootElement.Clone());
                }
                else
                {
                    last = JsonDocument.Parse(text).RootElement.GetProperty("name").GetString();
                }
            }

            await sender;
            var lost = Count - echoed.Count;
            output.WriteLine($"{echoed.Count} of {Count} echoed, {lost} lost with the killed upstream; notices: {string.Join(" ", notices)}; then served by {last}");
            Assert.Equal(echoed.Order(), echoed);
            Assert.Equal(echoed.Count, echoed.Distinct().Count());
            Assert.Equal(2, notices.Count);
            Assert.StartsWith("upstream lost", notices[0].GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("upstream reconnected", notices[1].GetProperty("event").GetString());
            Assert.NotEqual(first, last);
            Assert.Contains(Count - 1, echoed); // traffic resumed: the last message made it through the other upstream
            Assert.Equal(WebSocketState.Open, ws.State);
        }
        finally
        {
            foreach (var upstream in upstreams)
            {
                upstream.Dispose();
            }
        }
    }

    private static ServiceProcess StartEcho(int port, string name) =>
        ServiceProcess.Start("K8sWsProxy.EchoServer.dll", ["--listen", $"127.0.0.1:{port}", "--name", name]);

    private static Task WaitListeningAsync(int port) => Poll.UntilAsync(async () =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }, $"an echo server on port {port}", TimeSpan.FromSeconds(30));

    private string PlainRoute() => $$$"""
        apiVersion: k8swsproxy.io/v1alpha1
        kind: WebSocketRoute
        metadata: {name: plain, namespace: {{{ProxyCluster.Namespace}}}}
        spec:
          selector: {matchLabels: {app: chat}}
          match: {path: /plain}
          upstream: {endpoints: [{url: "ws://127.0.0.1:{{{Cluster.EchoB}}}/"}]}
        """;
}
