using System.Buffers.Binary;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>A tunnel's client-to-upstream write path fed from memory into memory: what each peer would receive.</summary>
internal static class MemoryRelay
{
    public static ushort? CloseCode(byte[] frames)
    {
        if (frames.Length < 4 || (frames[0] & 0x0F) != RawFrames.Close)
        {
            return null;
        }

        var offset = 2 + ((frames[1] & 0x80) != 0 ? 4 : 0);
        return BinaryPrimitives.ReadUInt16BigEndian(frames.AsSpan(offset));
    }

    /// <summary>The input cut into chunks of these sizes, the last chunk taking the rest.</summary>
    public static IEnumerable<byte[]> Split(byte[] input, int[] chunks)
    {
        var position = 0;
        foreach (var size in chunks.Append(int.MaxValue))
        {
            var take = Math.Min(size, input.Length - position);
            yield return input[position..(position + take)];
            position += take;
            if (position == input.Length)
            {
                yield break;
            }
        }
    }

    /// <summary>Writes <paramref name="input"/> into a tunnel's client-to-upstream path in chunks; what each side received.</summary>
    /// <param name="maxMessageBytes">0: no limit.</param>
    public static (byte[] ToUpstream, byte[] ToClient, DirectionCounters Counters) Run(byte[] input, int[] chunks, int maxMessageBytes, TunnelOptions? options = null)
    {
        var counters = new DirectionCounters();
        var tunnel = new WebSocketTunnel((options ?? new TunnelOptions()) with { MaxMessageBytes = maxMessageBytes }, counters, new DirectionCounters(), TimeProvider.System);
        using var upstreamSink = new MemoryStream();
        using var clientSink = new MemoryStream();
        var run = Task.Run(async () =>
        {
            await using var upstream = tunnel.WrapUpstream(upstreamSink);
            await using var downstream = tunnel.WrapDownstream(clientSink);
            foreach (var chunk in Split(input, chunks))
            {
                await upstream.WriteAsync(chunk);
            }

            tunnel.Abort();
        });
        Assert.True(run.Wait(TunnelHarness.Patience), "the relay did not finish: a hang");
        return (upstreamSink.ToArray(), clientSink.ToArray(), counters);
    }
}
