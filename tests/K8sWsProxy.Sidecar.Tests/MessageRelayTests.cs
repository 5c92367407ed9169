using System.Security.Cryptography;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>What passes through a proxied WebSocket arrives unchanged, in both directions.</summary>
public sealed class MessageRelayTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync(subprotocols: ["mqtt", "v12.stomp"]);
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: echo
                match: {path: /echo}
                upstream: {endpoints: [{url: "{{{_upstream.WsUrl("/socket")}}}"}]}
                websocket: {subprotocols: [mqtt, v12.stomp]}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData(WebSocketMessageType.Text, 0)]
    [InlineData(WebSocketMessageType.Text, 5)]
    [InlineData(WebSocketMessageType.Binary, 1)]
    [InlineData(WebSocketMessageType.Binary, 70_000)]
    [InlineData(WebSocketMessageType.Binary, 16 * 1024 * 1024)]
    public async Task Messages_arrive_byte_exact_both_ways(WebSocketMessageType type, int size)
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo"));
        var payload = type == WebSocketMessageType.Text ? System.Text.Encoding.UTF8.GetBytes(new string('ü', size / 2) + new string('a', size % 2)) : RandomNumberGenerator.GetBytes(size);
        // Reading while sending, as a client must: the echo streams back, and the sockets between hold less than a 16 MiB
        // message, so a client that only reads once its send is done waits on the proxy's backpressure for ever.
        var echo = ws.ReceiveMessageAsync(TimeSpan.FromSeconds(30));
        using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ws.SendAsync(payload, type, true, sending.Token);
        var (receivedType, data) = await echo;
        Assert.Equal(type, receivedType);
        Assert.True(payload.AsSpan().SequenceEqual(data), $"{size} bytes did not come back unchanged");
    }

    [Fact]
    public async Task Fragmented_messages_are_reassembled_unchanged_and_in_order()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo"));
        var parts = Enumerable.Range(0, 5).Select(i => RandomNumberGenerator.GetBytes(1000 + i)).ToArray();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < parts.Length; i++)
            {
                await ws.SendAsync(parts[i], WebSocketMessageType.Binary, i == parts.Length - 1, CancellationToken.None);
            }

            var (_, data) = await ws.ReceiveMessageAsync();
            Assert.Equal(parts.SelectMany(p => p).ToArray(), data);
        }
    }

    [Fact]
    public async Task Close_code_and_reason_are_relayed_both_ways()
    {
        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo")))
        {
            await ws.CloseOutputAsync((WebSocketCloseStatus)4001, "client says bye", CancellationToken.None);
            var (status, reason) = await ws.ReceiveCloseAsync();
            Assert.Equal((WebSocketCloseStatus)4001, status);
            Assert.Equal("client says bye", reason);
        }

        await Poll.UntilAsync(() => _upstream.Closes.Any(c => c.Status == (WebSocketCloseStatus)4001 && c.Reason == "client says bye"), "the upstream to see the client's close");

        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo")))
        {
            await ws.SendTextAsync("__close 4002 server says bye");
            var (status, reason) = await ws.ReceiveCloseAsync();
            Assert.Equal((WebSocketCloseStatus)4002, status);
            Assert.Equal("server says bye", reason);
        }
    }

    [Fact]
    public async Task Allowed_subprotocol_is_negotiated_end_to_end()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo"), o =>
        {
            o.AddSubProtocol("not-allowed");
            o.AddSubProtocol("v12.stomp");
        });
        Assert.Equal("v12.stomp", ws.SubProtocol);
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        Assert.Equal("v12.stomp", info.RootElement.GetProperty("subprotocol").GetString());
        // The proxy offers the upstream only what the route allows.
        Assert.Equal("v12.stomp", info.RootElement.GetProperty("headers").GetProperty("sec-websocket-protocol").GetString());
    }

    [Fact]
    public async Task A_request_for_refused_subprotocols_only_gets_403()
    {
        var status = await Ws.RefusedStatusAsync(_sidecar.Ws("/echo"), o => o.AddSubProtocol("graphql-ws"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Permessage_deflate_is_negotiated_end_to_end()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo"), o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());
        Assert.Contains("permessage-deflate", string.Join(",", ws.HttpResponseHeaders!["Sec-WebSocket-Extensions"]), StringComparison.Ordinal);
        var text = string.Concat(Enumerable.Repeat("compressible ", 2000));
        await ws.SendTextAsync(text);
        Assert.Equal(text, await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task Upstream_sees_forwarding_headers_and_no_hop_by_hop_headers()
    {
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo/room?x=1"), o => o.SetRequestHeader("Keep-Alive", "timeout=5"));
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        var headers = info.RootElement.GetProperty("headers");
        Assert.Equal("127.0.0.1", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.Equal($"127.0.0.1:{_sidecar.Host.PlainUrl.Port}", headers.GetProperty("x-forwarded-host").GetString());
        Assert.False(headers.TryGetProperty("keep-alive", out _));
        // The endpoint's path replaces the matched prefix; the query passes through.
        Assert.Equal("/socket/room", info.RootElement.GetProperty("path").GetString());
        Assert.Equal("?x=1", info.RootElement.GetProperty("query").GetString());
    }
}
