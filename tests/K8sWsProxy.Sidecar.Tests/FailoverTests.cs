namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// Routes with <c>upstream.onLost: Reconnect</c>: the client keeps its connection when its upstream goes, is told so,
/// and carries on with another endpoint, at message boundaries; a route without it closes the client with 1014.
/// </summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private TestUpstream _a = null!;
    private TestUpstream _b = null!;
    private TestUpstream _slow = null!;
    private RawUpstream _doomed = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _a = await TestUpstream.StartAsync("a");
        _b = await TestUpstream.StartAsync("b");
        _slow = await TestUpstream.StartAsync("slow", acceptDelay: TimeSpan.FromMilliseconds(500));
        _doomed = new RawUpstream();
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: failover
                match: {path: /failover}
                upstream:
                  endpoints: [{url: "{{{_a.WsUrl()}}}"}, {url: "{{{_b.WsUrl()}}}"}]
                  retry: {attempts: 3, initialInterval: 50ms}
                  onLost: Reconnect
                  failover: {notify: true, closeCodes: [1012]}
              - name: replay
                match: {path: /replay}
                upstream:
                  endpoints: [{url: "{{{_a.WsUrl()}}}"}, {url: "{{{_b.WsUrl()}}}"}]
                  onLost: Reconnect
                  failover: {replayFirstMessage: true}
              - name: held
                match: {path: /held}
                upstream:
                  endpoints: [{url: "{{{_slow.WsUrl()}}}"}]
                  onLost: Reconnect
                  failover: {notify: true, bufferMessages: 5}
              - name: strict
                match: {path: /strict}
                upstream:
                  endpoints: [{url: "{{{_slow.WsUrl()}}}"}]
                  onLost: Reconnect
                  failover: {notify: true, bufferMessages: 1, onBufferFull: Close}
              - name: doomed
                match: {path: /doomed}
                upstream:
                  endpoints: [{url: "ws://127.0.0.1:{{{_doomed.Port}}}/"}]
                  retry: {attempts: 2, initialInterval: 50ms}
                  onLost: Reconnect
                  failover: {notify: true}
              - name: plain
                match: {path: /plain}
                upstream: {endpoints: [{url: "{{{_a.WsUrl()}}}"}]}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _slow.DisposeAsync();
        _doomed.Dispose();
    }

    [Fact]
    public async Task A_lost_upstream_is_replaced_by_another_endpoint_and_the_client_is_told()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/failover"));
        var first = await EndpointNameAsync(ws);

        await ws.SendTextAsync("__abort");
        using var lost = JsonDocument.Parse(await ws.ReceiveTextAsync());
        Assert.StartsWith("upstream lost: ", lost.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        using var back = JsonDocument.Parse(await ws.ReceiveTextAsync());
        Assert.Equal("upstream reconnected", back.RootElement.GetProperty("event").GetString());
        Assert.Equal(lost.RootElement.GetProperty("event_id").GetString(), back.RootElement.GetProperty("event_id").GetString());

        // The lost endpoint is tried last: the connection is on the other one now, and every message goes through.
        Assert.NotEqual(first, await EndpointNameAsync(ws));
        for (var i = 0; i < 20; i++)
        {
            await ws.SendTextAsync($"m{i}");
            Assert.Equal($"m{i}", await ws.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task Messages_sent_while_reconnecting_are_held_and_sent_in_order_and_those_past_the_buffer_dropped()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/held"));
        await ws.SendTextAsync("__abort");
        Assert.Contains("upstream lost", await ws.ReceiveTextAsync(), StringComparison.Ordinal);

        // The upstream takes 500 ms to accept the new connection: these come while there is none. Five fit.
        for (var i = 0; i < 8; i++)
        {
            await ws.SendTextAsync($"m{i}");
        }

        Assert.Contains("upstream reconnected", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"m{i}", await ws.ReceiveTextAsync());
        }

        await ws.SendTextAsync("after");
        Assert.Equal("after", await ws.ReceiveTextAsync());

        using var http = new HttpClient { BaseAddress = _sidecar.Host.AdminUrl };
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("wsproxy_failover_messages_total{namespace=\"default\",route=\"held\",outcome=\"buffered\"} 5", metrics, StringComparison.Ordinal);
        Assert.Contains("wsproxy_failover_messages_total{namespace=\"default\",route=\"held\",outcome=\"dropped\"} 3", metrics, StringComparison.Ordinal);
        Assert.Contains("wsproxy_upstream_failovers_total{namespace=\"default\",route=\"held\",result=\"reconnected\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_buffer_closes_the_client_with_1013_when_the_route_says_so()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/strict"));
        await ws.SendTextAsync("__abort");
        Assert.Contains("upstream lost", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        await ws.SendTextAsync("fits");
        await ws.SendTextAsync("does not fit");
        Assert.Equal(((WebSocketCloseStatus)1013, "upstream lost, buffer full"), await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task Messages_racing_the_loss_arrive_in_order_once_or_not_at_all()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/failover"));
        await ws.SendTextAsync("__abort");
        for (var i = 0; i < 50; i++)
        {
            await ws.SendTextAsync($"m{i}");
        }

        // Those written to the dying connection before its loss showed are gone with it (as over any TCP connection);
        // the rest are held and sent to the next upstream, whole, in order, once.
        Assert.Contains("upstream lost", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        var echoed = new List<int>();
        await ws.SendTextAsync("end");
        for (var text = await ws.ReceiveTextAsync(); text != "end"; text = await ws.ReceiveTextAsync())
        {
            if (!text.StartsWith('{'))
            {
                echoed.Add(int.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.Equal(echoed.Order(), echoed);
        Assert.Equal(echoed.Distinct().Count(), echoed.Count);
    }

    [Fact]
    public async Task A_close_code_listed_for_failover_is_not_passed_to_the_client()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/failover"));
        await ws.SendTextAsync("__close 1012 service restart");
        Assert.Contains("closed with 1012", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("upstream reconnected", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        await ws.SendTextAsync("still here");
        Assert.Equal("still here", await ws.ReceiveTextAsync());

        // Any other close is the upstream's answer to the client, as on any route.
        await ws.SendTextAsync("__close 4002 goodbye");
        Assert.Equal(((WebSocketCloseStatus)4002, "goodbye"), await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task The_first_message_is_replayed_to_the_new_upstream()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/replay"));
        await ws.SendTextAsync("subscribe:prices");
        Assert.Equal("subscribe:prices", await ws.ReceiveTextAsync());
        await ws.SendTextAsync("__abort");

        // No notices on this route: the next thing the client hears is the new upstream's echo of the replay.
        Assert.Equal("subscribe:prices", await ws.ReceiveTextAsync());
        await ws.SendTextAsync("next");
        Assert.Equal("next", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task When_no_endpoint_answers_the_client_is_closed_with_1014_after_the_attempts()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/doomed"));
        _doomed.Dispose(); // the connection is reset and nothing listens any more

        using var lost = JsonDocument.Parse(await ws.ReceiveTextAsync());
        Assert.StartsWith("upstream lost: ", lost.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(((WebSocketCloseStatus)1014, "upstream lost"), await ws.ReceiveCloseAsync());
        Assert.Contains(_sidecar.Logs.Lines, l => l.Contains("reconnect to ws://127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_route_without_failover_closes_the_client_with_1014()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/plain"));
        await ws.SendTextAsync("__abort");
        Assert.Equal(((WebSocketCloseStatus)1014, "upstream lost"), await ws.ReceiveCloseAsync());
    }

    private static async Task<string> EndpointNameAsync(WebSocket ws)
    {
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        return info.RootElement.GetProperty("name").GetString()!;
    }
}
