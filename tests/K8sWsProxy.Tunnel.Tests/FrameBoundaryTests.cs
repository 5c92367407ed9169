using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>The write path on its own, fed through the public wrapper into memory.</summary>
public sealed class FrameBoundaryTests
{
    private static readonly byte[] MixedFrames =
    [
        .. RawFrames.Build(0x1, "hi"u8, mask: true),
        .. RawFrames.Build(0x2, MessageRelayTests.RandomBytes(130, seed: 6), mask: true, fin: false),
        .. RawFrames.Build(RawFrames.Ping, "p"u8, mask: true),
        .. RawFrames.Build(0x0, MessageRelayTests.RandomBytes(5, seed: 7), mask: true),
        .. RawFrames.Build(0x2, [], mask: true),
        .. RawFrames.Build(RawFrames.Pong, "q"u8, mask: true),
        .. RawFrames.Build(0x1, MessageRelayTests.RandomBytes(300, seed: 8), mask: true, rsv: 0x40),
    ];

    [Fact]
    public async Task FramesSplitAtEveryPossibleBoundaryAreForwardedByteExactAndCountedOnce()
    {
        for (var split = 0; split <= MixedFrames.Length; split++)
        {
            await AssertRelayedAsync(MixedFrames, [MixedFrames[..split], MixedFrames[split..]], messages: 4, bytes: 2 + 135 + 0 + 300);
        }

        for (var size = 1; size <= MixedFrames.Length; size++)
        {
            await AssertRelayedAsync(MixedFrames, MixedFrames.Chunk(size), messages: 4, bytes: 2 + 135 + 0 + 300);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task FrameWithA64BitLengthIsForwardedInAnyChunking(int chunkSize)
    {
        var frame = RawFrames.Build(0x2, MessageRelayTests.RandomBytes(70_000, seed: 9), mask: true);
        await AssertRelayedAsync(frame, frame.Chunk(chunkSize), messages: 1, bytes: 70_000);
    }

    [Fact]
    public async Task RelayingSmallMessagesDoesNotAllocate()
    {
        // Debug builds compile async state machines as classes, one allocation per call: only optimized code
        // (the Release build that `make test` and CI run) can show the hot path's real behaviour.
        if (typeof(WebSocketTunnel).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            return;
        }

        var counters = new DirectionCounters();
        // Two pings or pongs per round, thousands of rounds a second: far past the flood limit, which is not what this measures.
        var options = new TunnelOptions { MaxMessageBytes = 1 << 20, MaxControlFramesPerSecond = int.MaxValue };
        var tunnel = new WebSocketTunnel(options, counters, new DirectionCounters(), TimeProvider.System) { PerMessageDeflate = true };
        var frames = MixedFrames;
        using var sink = new MemoryStream(frames.Length * 4100);
        await using var upstream = tunnel.WrapUpstream(sink);
        await upstream.WriteAsync(frames); // warm-up: first-call allocations are not per message

        // Every write completes synchronously into memory, so the whole loop stays on this thread. The runtime may
        // allocate a few KB once on it (tiered compilation's call counting), so the bound is far below what even
        // one 24-byte object per message would cost (16,000 messages: 384 KB) and far above such one-offs.
        const int iterations = 4000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            await upstream.WriteAsync(frames.AsMemory(0, 100));
            await upstream.WriteAsync(frames.AsMemory(100));
            await upstream.FlushAsync();
        }

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
        Assert.Equal(4 * (iterations + 1), counters.Messages);
    }

    [Fact]
    public async Task InjectedCloseWaitsForTheFrameBoundaryIsMaskedTowardsTheUpstreamAndDropsLaterData()
    {
        var tunnel = new WebSocketTunnel(new TunnelOptions(), new DirectionCounters(), new DirectionCounters(), TimeProvider.System);
        using var toUpstream = new MemoryStream();
        using var toClient = new MemoryStream();
        await using var upstream = tunnel.WrapUpstream(toUpstream);
        await using var downstream = tunnel.WrapDownstream(toClient);
        var frame = RawFrames.Build(0x2, MessageRelayTests.RandomBytes(100, seed: 10), mask: true);
        var late = RawFrames.Build(0x1, "too late"u8, mask: true);

        await upstream.WriteAsync(frame.AsMemory(0, 50));
        var closing = tunnel.CloseAsync(1001, "bye");
        Assert.Equal(50, toUpstream.Length);
        await Poll.UntilAsync(() => toClient.Length > 0, "the close frame towards the client");

        await upstream.WriteAsync((byte[])[.. frame[50..], .. late]);

        var sent = toUpstream.ToArray();
        Assert.Equal(frame, sent[..frame.Length]);
        Assert.Equal(0x80, sent[frame.Length + 1] & 0x80);
        var afterFrame = new MemoryStream(sent[frame.Length..]);
        AssertClose(await RawFrames.ReadAsync(afterFrame, CancellationToken.None), 1001, "bye");
        Assert.Null(await RawFrames.ReadAsync(afterFrame, CancellationToken.None));

        var toClientBytes = toClient.ToArray();
        Assert.Equal(0, toClientBytes[1] & 0x80);
        AssertClose(await RawFrames.ReadAsync(new MemoryStream(toClientBytes), CancellationToken.None), 1001, "bye");

        tunnel.Abort();
        await closing.WaitAsync(TunnelHarness.Patience);
    }

    private static void AssertClose((int Opcode, byte[] Payload)? frame, ushort code, string reason)
    {
        Assert.NotNull(frame);
        Assert.Equal(RawFrames.Close, frame.Value.Opcode);
        Assert.Equal(code, RawFrames.CloseCode(frame.Value.Payload));
        Assert.Equal(reason, Encoding.UTF8.GetString(frame.Value.Payload[2..]));
    }

    private static async Task AssertRelayedAsync(byte[] frames, IEnumerable<byte[]> chunks, long messages, long bytes)
    {
        var counters = new DirectionCounters();
        var tunnel = new WebSocketTunnel(new TunnelOptions(), counters, new DirectionCounters(), TimeProvider.System) { PerMessageDeflate = true };
        using var sink = new MemoryStream();
        await using var upstream = tunnel.WrapUpstream(sink);
        foreach (var chunk in chunks)
        {
            await upstream.WriteAsync(chunk);
        }

        Assert.Equal(frames, sink.ToArray());
        Assert.Equal((messages, bytes), (counters.Messages, counters.Bytes));
    }
}
