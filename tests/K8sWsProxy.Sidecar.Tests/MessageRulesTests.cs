namespace K8sWsProxy.Sidecar.Tests;

/// <summary>A route's message rules as a client sees them, through a real sidecar to a real echo upstream.</summary>
public sealed class MessageRulesTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync();
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: rules
                match: {path: /rules}
                upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}
                messages:
                  maxBytes: 1024
                  rules:
                    - {name: snot, match: {exact: snot}, action: Reply, text: badger}
                    - {name: quiet, match: {prefix: "drop:"}, action: Drop}
                    - {name: greet, match: {regex: '^hello (\w+)$'}, action: Rewrite, text: 'hi $1'}
                    - {name: bye, match: {json: {field: msg.type, value: bye}}, action: Close, closeCode: 4000, closeReason: rule says bye}
                    - {name: shout, direction: ToClient, match: {exact: pong}, action: Rewrite, text: PONG}
              - name: plain
                match: {path: /plain}
                upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task A_reply_rule_answers_the_sender_and_the_upstream_never_sees_the_message()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/rules"));
        await ws.SendTextAsync("snot");
        Assert.Equal("badger", await ws.ReceiveTextAsync());

        // Had the echo upstream got "snot", its echo would come before this one.
        await ws.SendTextAsync("after");
        Assert.Equal("after", await ws.ReceiveTextAsync());

        // Rules see whole messages: the same text in two fragments matches too.
        await ws.SendAsync(Encoding.UTF8.GetBytes("sn"), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await ws.SendAsync(Encoding.UTF8.GetBytes("ot"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        Assert.Equal("badger", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task Drop_and_rewrite_rules_act_on_matching_messages_only()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/rules"));
        await ws.SendTextAsync("drop:this");
        await ws.SendTextAsync("hello world");
        Assert.Equal("hi world", await ws.ReceiveTextAsync());
        await ws.SendTextAsync("hello there, world");
        Assert.Equal("hello there, world", await ws.ReceiveTextAsync());

        // A rule towards the client acts on what the upstream sends: the echo of "pong" comes back shouted.
        await ws.SendTextAsync("pong");
        Assert.Equal("PONG", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task Binary_messages_and_messages_over_the_limit_pass_unmatched()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/rules"));
        await ws.SendAsync(Encoding.UTF8.GetBytes("snot"), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var (type, data) = await ws.ReceiveMessageAsync();
        Assert.Equal((WebSocketMessageType.Binary, "snot"), (type, Encoding.UTF8.GetString(data)));

        var big = "drop:" + new string('x', 4000);
        await ws.SendTextAsync(big);
        Assert.Equal(big, await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_close_rule_closes_both_peers_with_its_code()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/rules"));
        await ws.SendTextAsync("""{"msg": {"type": "bye"}}""");
        var (status, reason) = await ws.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4000, status);
        Assert.Equal("rule says bye", reason);
        await Poll.UntilAsync(() => _upstream.Closes.Any(c => c.Status == (WebSocketCloseStatus)4000), "the upstream to get the rule's close");
    }

    [Fact]
    public async Task Routes_without_rules_and_matched_messages_are_counted_apart()
    {
        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/plain")))
        {
            await ws.SendTextAsync("snot");
            Assert.Equal("snot", await ws.ReceiveTextAsync());
        }

        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/rules")))
        {
            await ws.SendTextAsync("snot");
            Assert.Equal("badger", await ws.ReceiveTextAsync());
        }

        using var http = new HttpClient { BaseAddress = _sidecar.Host.AdminUrl };
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("wsproxy_message_rule_matches_total{namespace=\"default\",route=\"rules\",rule=\"snot\",action=\"reply\"}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("route=\"plain\",rule=", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sidecar_without_frame_tracking_says_that_it_cannot_apply_rules()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: rules
                match: {path: /rules}
                upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}
                messages: {rules: [{name: snot, match: {exact: snot}, action: Reply, text: badger}]}
            """, frameTracking: false);
        Assert.Contains(sidecar.Logs.Lines, l => l.Contains("default/rules has message rules or onLost: Reconnect, but the sidecar runs with --frame-tracking off", StringComparison.Ordinal));
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/rules"));
        await ws.SendTextAsync("snot");
        Assert.Equal("snot", await ws.ReceiveTextAsync());
    }
}
