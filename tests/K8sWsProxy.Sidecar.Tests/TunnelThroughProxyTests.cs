namespace K8sWsProxy.Sidecar.Tests;

/// <summary>What the proxy itself does to live connections: limits, keep-alive, idleness, lost peers, always with close frames.</summary>
public sealed class TunnelThroughProxyTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync();
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: limited, match: {path: /limited}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, websocket: {maxMessageBytes: 1024}}
              - {name: alive, match: {path: /alive}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, websocket: {keepAliveInterval: 300ms}}
              - {name: idle, match: {path: /idle}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, timeouts: {idle: 700ms}}
              - {name: unlimited, match: {path: /unlimited}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task A_message_over_maxMessageBytes_closes_both_sides_with_1009()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/limited"));
        await ws.SendAsync(new byte[1024], WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(1024, (await ws.ReceiveMessageAsync()).Data.Length);
        // Over the limit only summed over fragments: 600 + 600.
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, false, CancellationToken.None);
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, true, CancellationToken.None);
        var (status, _) = await ws.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        await Poll.UntilAsync(() => _upstream.Closes.Any(c => c.Status == WebSocketCloseStatus.MessageTooBig), "the upstream to get 1009");
    }

    [Fact]
    public async Task A_frame_announcing_more_than_the_hard_cap_is_closed_with_1009_on_a_route_without_a_limit()
    {
        using var ws = await RawWebSocket.ConnectAsync(_sidecar.Ws("/unlimited"));
        // Binary, masked, 64-bit length 2^62: then nothing. Without a cap the proxy would wait for those bytes forever.
        await ws.SendRawAsync([0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
        var frame = await ws.ReadFrameAsync();
        Assert.Equal((0x8, 1009), (frame.Opcode, frame.CloseCode));
    }

    [Fact]
    public async Task Keepalive_pings_a_live_peer_and_closes_a_silent_one_with_1001()
    {
        // A library client answers pings: it stays connected across several intervals.
        using (var live = await Ws.ConnectAsync(_sidecar.Ws("/alive")))
        {
            var until = DateTime.UtcNow.AddSeconds(1.5);
            while (DateTime.UtcNow < until)
            {
                await live.SendTextAsync("still here");
                Assert.Equal("still here", await live.ReceiveTextAsync());
                await Task.Delay(100);
            }

            Assert.Equal(WebSocketState.Open, live.State);
        }

        // A peer that never answers: pings arrive, then a 1001 close after about two intervals.
        using var silent = await RawWebSocket.ConnectAsync(_sidecar.Ws("/alive"));
        var started = DateTime.UtcNow;
        var pings = 0;
        RawWebSocket.Frame frame;
        while ((frame = await silent.ReadFrameAsync()).Opcode != 0x8)
        {
            pings += frame.Opcode == 0x9 ? 1 : 0;
        }

        Assert.True(pings >= 1, "the proxy should ping before giving up");
        Assert.Equal(1001, frame.CloseCode);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3));
        await Poll.UntilAsync(() => _upstream.Closes.Any(c => c.Status == WebSocketCloseStatus.EndpointUnavailable), "the upstream to get 1001");
    }

    [Fact]
    public async Task Answering_the_proxys_pings_keeps_a_quiet_connection_open()
    {
        using var raw = await RawWebSocket.ConnectAsync(_sidecar.Ws("/alive"));
        // Six intervals without data: only pongs from us, and the proxy keeps the connection.
        for (var i = 0; i < 6; i++)
        {
            var ping = await raw.ReadFrameAsync();
            Assert.Equal(0x9, ping.Opcode);
            await raw.SendFrameAsync(0xA, ping.Payload);
        }

        await raw.SendFrameAsync(0x1, "after pongs"u8.ToArray());
        RawWebSocket.Frame frame;
        while ((frame = await raw.ReadFrameAsync()).Opcode == 0x9)
        {
            await raw.SendFrameAsync(0xA, frame.Payload);
        }

        Assert.Equal(0x1, frame.Opcode);
        Assert.Equal("after pongs", System.Text.Encoding.UTF8.GetString(frame.Payload));
    }

    [Fact]
    public async Task A_lost_upstream_gives_the_client_1014()
    {
        using var upstream = new RawUpstream();
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes: [{name: fragile, match: {path: /}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{upstream.Port}}}/"}]}}]
            """);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
        upstream.DropAll();
        var (status, reason) = await ws.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)1014, status);
        Assert.Contains("upstream", reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_with_a_close_frame()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/idle"));
        await ws.SendTextAsync("one");
        Assert.Equal("one", await ws.ReceiveTextAsync());
        var started = DateTime.UtcNow;
        var (status, reason) = await ws.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Contains("idle", reason, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task With_frame_tracking_off_bytes_pass_untouched_and_limits_do_not_apply()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes: [{name: raw, match: {path: /}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, websocket: {maxMessageBytes: 1000}}]
            """, frameTracking: false);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
        var big = new byte[5000];
        Random.Shared.NextBytes(big);
        await ws.SendAsync(big, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(big, (await ws.ReceiveMessageAsync()).Data);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        await Poll.UntilAsync(async () => (await Scrape.FromAsync(sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", ("route", "raw")) == 0, "the connection to be counted as ended");
    }
}
