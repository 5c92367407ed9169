using System.Net.WebSockets;

namespace K8sWsProxy.Tunnel.Tests;

public sealed class CloseTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClosesFromEitherPeerAreRelayedWithCodeAndReason(bool clientCloses)
    {
        await using var harness = await TunnelHarness.StartAsync();
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        var (closer, other) = clientCloses ? (client, server) : (server, client);

        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
        var answered = other.ReceiveCloseAsync();
        await closer.CloseAsync((WebSocketCloseStatus)4001, "see you later", timeout.Token);

        Assert.Equal(((WebSocketCloseStatus)4001, "see you later"), await answered);
        Assert.Equal(WebSocketState.Closed, closer.State);
        Assert.Equal((WebSocketCloseStatus)4001, closer.CloseStatus);
        Assert.Equal(
            new TunnelOutcome(4001, "see you later", clientCloses ? CloseInitiator.Client : CloseInitiator.Upstream, clientCloses ? "closed by client" : "closed by upstream"),
            await harness.OutcomeAsync());
    }

    [Fact]
    public async Task ProxyCloseReachesBothPeersAndCompletesTheTunnel()
    {
        await using var harness = await TunnelHarness.StartAsync();
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        var clientClose = client.ReceiveCloseAsync();
        var serverClose = server.ReceiveCloseAsync();

        var closing = harness.Tunnel.CloseAsync(1001, "shutting down");

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "shutting down"), await clientClose);
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "shutting down"), await serverClose);
        await closing.WaitAsync(TunnelHarness.Patience);
        Assert.Same(closing, harness.Tunnel.CloseAsync(1000, "again"));
        Assert.Equal(new TunnelOutcome(1001, "shutting down", CloseInitiator.Proxy, "closed by proxy"), await harness.OutcomeAsync());
    }

    [Fact]
    public async Task OversizedMessageClosesBothPeersWith1009AndIsNotForwarded()
    {
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { MaxMessageBytes = 1000 });
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();

        var atLimit = server.ReceiveMessageAsync();
        await client.SendMessageAsync(WebSocketMessageType.Binary, new byte[1000]);
        Assert.Equal(1000, (await atLimit).Data.Length);

        var serverClose = server.ReceiveCloseAsync();
        var clientClose = client.ReceiveCloseAsync();
        await client.SendMessageAsync(WebSocketMessageType.Binary, new byte[1001]);

        Assert.Equal((WebSocketCloseStatus.MessageTooBig, "message too big"), await serverClose);
        Assert.Equal((WebSocketCloseStatus.MessageTooBig, "message too big"), await clientClose);
        Assert.Equal(new TunnelOutcome(1009, "message too big", CloseInitiator.Proxy, "message too big"), await harness.OutcomeAsync());
        Assert.Equal((1L, 1000L), (harness.ToUpstream.Messages, harness.ToUpstream.Bytes));
    }

    [Fact]
    public async Task MessageLimitSumsFragmentsTowardsTheClient()
    {
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { MaxMessageBytes = 1000 });
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        var serverClose = server.ReceiveCloseAsync();
        var clientClose = client.ReceiveCloseAsync();

        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
        await server.SendAsync(new byte[600], WebSocketMessageType.Binary, endOfMessage: false, timeout.Token);
        await server.SendAsync(new byte[600], WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await clientClose).Status);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await serverClose).Status);
        Assert.Equal(0, harness.ToClient.Messages);
    }

    [Fact]
    public async Task UpstreamThatVanishesGivesTheClient1014()
    {
        await using var harness = await TunnelHarness.StartAsync();
        using var client = harness.ClientWebSocket();
        var server = RawPeer.Server(harness.ServerPeer);
        await client.SendMessageAsync(WebSocketMessageType.Text, "hello"u8.ToArray());
        await Poll.UntilAsync(() => !server.Received.IsEmpty, "the upstream got the message");

        await harness.ServerPeer.DisposeAsync();

        Assert.Equal(((WebSocketCloseStatus)1014, "upstream lost"), await client.ReceiveCloseAsync());
        Assert.Equal(new TunnelOutcome(1014, "upstream lost", CloseInitiator.Proxy, "upstream lost"), await harness.OutcomeAsync());
    }

    [Fact]
    public async Task ClientThatVanishesGivesTheUpstream1001()
    {
        await using var harness = await TunnelHarness.StartAsync();
        using var server = harness.ServerWebSocket();
        var serverClose = server.ReceiveCloseAsync();

        await harness.ClientPeer.DisposeAsync();

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "client lost"), await serverClose);
        Assert.Equal(new TunnelOutcome(1006, null, CloseInitiator.Client, "client lost"), await harness.OutcomeAsync());
    }

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "reserved opcode", RawFrames.Build(0x3, [1, 2, 3], mask: true) },
        { "control frame over 125 bytes", RawFrames.Build(RawFrames.Ping, new byte[126], mask: true) },
        { "fragmented control frame", RawFrames.Build(RawFrames.Ping, [1], mask: true, fin: false) },
        { "64-bit length with the top bit set", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4] },
        { "unmasked client frame", RawFrames.Build(0x2, [1, 2, 3], mask: false) },
        { "continuation without a message", RawFrames.Build(0x0, [1], mask: true) },
        { "RSV1 without permessage-deflate", RawFrames.Build(0x1, [1], mask: true, rsv: 0x40) },
        { "RSV2", RawFrames.Build(0x2, [1], mask: true, rsv: 0x20) },
        { "RSV3", RawFrames.Build(0x2, [1], mask: true, rsv: 0x10) },
        { "RSV1 on a continuation", [.. RawFrames.Build(0x2, [1], mask: true, fin: false), .. RawFrames.Build(0x0, [2], mask: true, rsv: 0x40)] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task GarbageFromTheClientClosesBothPeersWith1002(string kind, byte[] frame)
    {
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) });
        using var server = harness.ServerWebSocket();
        var client = RawPeer.Client(harness.ClientPeer);
        var serverClose = server.ReceiveCloseAsync();

        await harness.ClientPeer.WriteAsync(frame);

        Assert.Equal((WebSocketCloseStatus.ProtocolError, "protocol error"), await serverClose);
        await client.Reading.WaitAsync(TunnelHarness.Patience);
        var (opcode, payload) = Assert.Single(client.Received);
        Assert.Equal(RawFrames.Close, opcode);
        Assert.True(RawFrames.CloseCode(payload) == 1002, kind);
        Assert.Equal(new TunnelOutcome(1002, "protocol error", CloseInitiator.Proxy, "protocol error by client"), await harness.OutcomeAsync());
        Assert.Equal(0, harness.ToUpstream.Messages);
    }

    [Fact]
    public async Task DeflateStillRefusesRsv2AndRsv1OnAContinuation()
    {
        foreach (var frame in new[] { RawFrames.Build(0x2, [1], mask: true, rsv: 0x60), [.. RawFrames.Build(0x2, [1], mask: true, fin: false, rsv: 0x40), .. RawFrames.Build(0x0, [2], mask: true, rsv: 0x40)] })
        {
            await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) }, perMessageDeflate: true);
            using var server = harness.ServerWebSocket(new WebSocketDeflateOptions());
            var serverClose = server.ReceiveCloseAsync();

            await harness.ClientPeer.WriteAsync(frame);

            Assert.Equal(WebSocketCloseStatus.ProtocolError, (await serverClose).Status);
        }
    }
}
