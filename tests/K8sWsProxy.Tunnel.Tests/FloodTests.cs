namespace K8sWsProxy.Tunnel.Tests;

/// <summary>
/// Floods that cost the proxy and every other connection time are cut: a peer sending pings or pongs faster than
/// any keep-alive needs, or one message in more fragments than any sender needs, is closed with 1008; traffic within
/// the limits passes untouched.
/// </summary>
public sealed class FloodTests
{
    private static readonly TunnelOptions Limits = new() { MaxControlFramesPerSecond = 100, MaxFragmentsPerMessage = 1000 };

    [Fact]
    public void A_ping_flood_is_closed_with_1008_and_pings_within_the_limit_pass()
    {
        var within = Enumerable.Range(0, 100).SelectMany(_ => RawFrames.Build(RawFrames.Ping, "p"u8, mask: true)).ToArray();
        var (passed, refused, _) = MemoryRelay.Run(within, [], maxMessageBytes: 0, Limits);
        Assert.Equal(within, passed);
        Assert.Empty(refused);

        var flood = Enumerable.Range(0, 10_000).SelectMany(i => RawFrames.Build(i % 2 == 0 ? RawFrames.Ping : RawFrames.Pong, "p"u8, mask: true)).ToArray();
        var (toUpstream, toClient, _) = MemoryRelay.Run(flood, [4096], maxMessageBytes: 0, Limits);
        Assert.Equal((ushort)1008, MemoryRelay.CloseCode(toClient));
        Assert.True(toClient.AsSpan().IndexOf("control frame flood"u8) >= 0, "the close says why");
        // The first hundred went through; the rest never reached the upstream (only the close did).
        Assert.True(toUpstream.Length < (101 * 7) + 40, $"{toUpstream.Length} bytes reached the upstream");
    }

    [Fact]
    public void A_message_in_too_many_fragments_is_closed_with_1008()
    {
        static byte[] Message(int fragments) => Enumerable.Range(0, fragments)
            .SelectMany(i => RawFrames.Build(i == 0 ? 0x2 : 0x0, "x"u8, mask: true, fin: i == fragments - 1)).ToArray();

        var within = Message(1000);
        var (passed, refused, counters) = MemoryRelay.Run(within, [], maxMessageBytes: 0, Limits);
        Assert.Equal(within, passed);
        Assert.Empty(refused);
        Assert.Equal(1, counters.Messages);

        var (_, toClient, flooded) = MemoryRelay.Run(Message(5000), [1, 100, 4096], maxMessageBytes: 0, Limits);
        Assert.Equal((ushort)1008, MemoryRelay.CloseCode(toClient));
        Assert.Equal(0, flooded.Messages);
    }
}
