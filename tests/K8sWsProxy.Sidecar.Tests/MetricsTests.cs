namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Known traffic gives exact numbers in a scrape of /metrics on the admin port.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync();
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: chat, namespace: demo, match: {path: /chat}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, websocket: {maxMessageBytes: 1000, allowedOrigins: ["https://ok.example.com"]}}
              - {name: down, namespace: demo, match: {path: /down}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{Ports.Free()}}}/"}], retry: {attempts: 1} } }
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static readonly (string, string) Chat = ("route", "chat");

    [Fact]
    public async Task Known_traffic_gives_exact_counts()
    {
        var sizes = new (WebSocketMessageType Type, int Size)[] { (WebSocketMessageType.Text, 1), (WebSocketMessageType.Text, 10), (WebSocketMessageType.Text, 100), (WebSocketMessageType.Binary, 5), (WebSocketMessageType.Binary, 50) };
        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/chat")))
        {
            Assert.Equal(1, (await Scrape.FromAsync(_sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", Chat));
            foreach (var (type, size) in sizes)
            {
                await ws.SendAsync(new byte[size].Select(_ => (byte)'a').ToArray(), type, true, CancellationToken.None);
                Assert.Equal(size, (await ws.ReceiveMessageAsync()).Data.Length);
            }

            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        using (var big = await Ws.ConnectAsync(_sidecar.Ws("/chat")))
        {
            await big.SendAsync(new byte[2000], WebSocketMessageType.Binary, true, CancellationToken.None);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await big.ReceiveCloseAsync()).Status);
        }

        Assert.Equal(HttpStatusCode.Forbidden, await Ws.RefusedStatusAsync(_sidecar.Ws("/chat"), o => o.SetRequestHeader("Origin", "https://evil.example.com")));
        Assert.Equal(HttpStatusCode.BadGateway, await Ws.RefusedStatusAsync(_sidecar.Ws("/down")));

        await Poll.UntilAsync(async () => (await Scrape.FromAsync(_sidecar.Host.AdminUrl)).Value("wsproxy_connection_duration_seconds_count", Chat) == 2, "both connections to end");
        var scrape = await Scrape.FromAsync(_sidecar.Host.AdminUrl);
        Assert.Equal(0, scrape.Value("wsproxy_connections_active", Chat));
        Assert.Equal(5, scrape.Value("wsproxy_messages_total", Chat, ("direction", "to_upstream")));
        Assert.Equal(5, scrape.Value("wsproxy_messages_total", Chat, ("direction", "to_client")));
        Assert.Equal(166, scrape.Value("wsproxy_bytes_total", Chat, ("direction", "to_upstream")));
        Assert.Equal(166, scrape.Value("wsproxy_bytes_total", Chat, ("direction", "to_client")));
        Assert.Equal(2, scrape.Value("wsproxy_connections_total", Chat, ("result", "accepted")));
        Assert.Equal(1, scrape.Value("wsproxy_connections_total", Chat, ("result", "rejected")));
        Assert.Equal(1, scrape.Value("wsproxy_handshake_failures_total", Chat, ("reason", "origin")));
        Assert.Equal(1, scrape.Value("wsproxy_connections_total", ("route", "down"), ("result", "failed")));
        Assert.Equal(1, scrape.Value("wsproxy_handshake_failures_total", ("route", "down"), ("reason", "upstream_unreachable")));
        Assert.Equal(2, scrape.Value("wsproxy_upstream_connect_seconds_count", Chat));
        Assert.Equal(1, scrape.Value("wsproxy_closes_total", Chat, ("code", "1000"), ("initiator", "client")));
        Assert.Equal(1, scrape.Value("wsproxy_closes_total", Chat, ("code", "1009"), ("initiator", "proxy")));
        Assert.Equal(1, scrape.Value("wsproxy_config_revision_info", ("revision", _sidecar.Host.ActiveRevision!)));
        Assert.Equal(1, scrape.Value("wsproxy_config_reloads_total", ("result", "success")));
        Assert.True(scrape.Has("wsproxy_connections_active", ("namespace", "demo"), Chat));
    }

    [Fact]
    public async Task A_thousand_client_addresses_and_paths_add_no_series()
    {
        // One of each first, so every series the traffic below can touch exists.
        await RawHandshake.SendAsync(_sidecar.Ws("/chat/first"), upgrade: false);
        var before = (await Scrape.FromAsync(_sidecar.Host.AdminUrl)).SeriesCount;
        for (var i = 0; i < 1000; i++)
        {
            // Distinct loopback source addresses (127.0.x.y) and distinct paths.
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Bind(new IPEndPoint(new IPAddress([127, 0, (byte)(1 + (i / 250)), (byte)(1 + (i % 250))]), 0));
            await client.ConnectAsync(IPAddress.Loopback, _sidecar.Host.PlainUrl.Port);
            await client.SendAsync(System.Text.Encoding.ASCII.GetBytes($"GET /chat/room-{i}?user={i} HTTP/1.1\r\nHost: h{i}.example.com\r\nConnection: close\r\n\r\n"));
            var buffer = new byte[1024];
            Assert.True(await client.ReceiveAsync(buffer) > 0);
        }

        var after = await Scrape.FromAsync(_sidecar.Host.AdminUrl);
        Assert.Equal(1001, after.Value("wsproxy_handshake_failures_total", Chat, ("reason", "not_websocket")));
        Assert.Equal(before, after.SeriesCount);
    }

    [Fact]
    public async Task A_removed_routes_series_go_once_its_drained_connections_end()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: stays, match: {path: /stays}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}}
              - {name: goes, match: {path: /goes}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, timeouts: {drain: 200ms}}
            """);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/goes"));
        await ws.SendTextAsync("counted");
        await ws.ReceiveTextAsync();
        Assert.Equal(1, (await Scrape.FromAsync(sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", ("route", "goes")));

        Assert.True((await sidecar.ApplyAsync($$$"""
            routes: [{name: stays, match: {path: /stays}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}}]
            """)).Accepted);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await ws.ReceiveCloseAsync()).Status);
        await Poll.UntilAsync(async () => !(await Scrape.FromAsync(sidecar.Host.AdminUrl)).Has("wsproxy_connections_active", ("route", "goes")), "the removed route's series to go");
        var scrape = await Scrape.FromAsync(sidecar.Host.AdminUrl);
        Assert.False(scrape.Has("wsproxy_messages_total", ("route", "goes")));
        Assert.False(scrape.Has("wsproxy_closes_total", ("route", "goes")));
        Assert.True(scrape.Has("wsproxy_connections_active", ("route", "stays")));
    }
}
