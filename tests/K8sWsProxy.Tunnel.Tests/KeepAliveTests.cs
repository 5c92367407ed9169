using System.Diagnostics;
using System.Net.WebSockets;

namespace K8sWsProxy.Tunnel.Tests;

[Collection(TimingCollection.Name)]
public sealed class KeepAliveTests
{
    [Fact]
    public async Task SilentPeerIsClosedWith1001AfterTwoIntervals()
    {
        var interval = TimeSpan.FromMilliseconds(400);
        var started = Stopwatch.StartNew();
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { KeepAliveInterval = interval, CloseHandshakeTimeout = TimeSpan.FromSeconds(1) });
        using var client = harness.ClientWebSocket(); // answers the proxy's pings while it waits for the close

        var (type, _) = await client.ReceiveMessageAsync();

        Assert.InRange(started.Elapsed, 2 * interval, (2 * interval) + TimeSpan.FromMilliseconds(700));
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "keepalive timeout"), (client.CloseStatus, client.CloseStatusDescription));
        Assert.Equal(new TunnelOutcome(1001, "keepalive timeout", CloseInitiator.Proxy, "keepalive timeout"), await harness.OutcomeAsync());

        // The silent upstream was pinged (masked, as a client would) before it was closed.
        var upstream = RawPeer.Server(harness.ServerPeer);
        await upstream.Reading.WaitAsync(TunnelHarness.Patience);
        Assert.True(upstream.Count(RawFrames.Ping) >= 1);
        Assert.Equal(RawFrames.Close, upstream.Received.Last().Opcode);
    }

    [Fact]
    public async Task PongsToProxyPingsAreNotForwardedAndLivePeersStayOpen()
    {
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(100) });
        var client = RawPeer.Client(harness.ClientPeer);
        var server = RawPeer.Server(harness.ServerPeer);

        // Several intervals: each raw peer answers every proxy ping, so neither is silent.
        await Poll.UntilAsync(() => client.Count(RawFrames.Ping) >= 5 && server.Count(RawFrames.Ping) >= 5, "five proxy pings each");

        Assert.Equal(0, client.Count(RawFrames.Pong));
        Assert.Equal(0, server.Count(RawFrames.Pong));
        Assert.Equal(0, client.Count(RawFrames.Close) + server.Count(RawFrames.Close));
        Assert.False(harness.Tunnel.Completion.IsCompleted);
    }

    [Fact]
    public async Task IdleTunnelIsClosedWith1001AndProxyPingsDoNotCountAsActivity()
    {
        var idle = TimeSpan.FromMilliseconds(500);
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { IdleTimeout = idle, KeepAliveInterval = TimeSpan.FromMilliseconds(100) });
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        var received = server.ReceiveMessageAsync();
        await client.SendMessageAsync(WebSocketMessageType.Text, "last words"u8.ToArray());
        await received;
        var lastMessage = Stopwatch.StartNew();

        var clientClose = client.ReceiveCloseAsync();
        var serverClose = server.ReceiveCloseAsync();

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "idle timeout"), await clientClose);
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "idle timeout"), await serverClose);
        Assert.True(lastMessage.Elapsed >= idle - TimeSpan.FromMilliseconds(50), $"closed after {lastMessage.Elapsed}");
        Assert.Equal(new TunnelOutcome(1001, "idle timeout", CloseInitiator.Proxy, "idle timeout"), await harness.OutcomeAsync());
    }
}
