using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Fuzz;

/// <summary>
/// The frame tracker: the input written into a tunnel's client-to-upstream path in memory, once whole and once in
/// small chunks with a message size limit and permessage-deflate on. Whatever the bytes, the upstream gets a prefix of
/// them and at most the proxy's close after it, and the client at most a close (the property tests' outcomes).
/// </summary>
internal static class FrameTarget
{
    // Chunk sizes, cycled: headers and payloads cut at every point a small input has.
    private static readonly int[] Chunks = [1, 7, 100];

    public static void Run(byte[] input)
    {
        Check(input, Relay(input, chunked: false, perMessageDeflate: false, maxMessageBytes: 0));
        Check(input, Relay(input, chunked: true, perMessageDeflate: true, maxMessageBytes: 1000));
    }

    private static (byte[] ToUpstream, byte[] ToClient) Relay(byte[] input, bool chunked, bool perMessageDeflate, int maxMessageBytes)
    {
        var tunnel = new WebSocketTunnel(new TunnelOptions { MaxMessageBytes = maxMessageBytes }, new DirectionCounters(), new DirectionCounters(), TimeProvider.System)
        {
            PerMessageDeflate = perMessageDeflate,
        };
        using var upstreamSink = new MemoryStream();
        using var clientSink = new MemoryStream();
        WriteAsync().GetAwaiter().GetResult();
        return (upstreamSink.ToArray(), clientSink.ToArray());

        async Task WriteAsync()
        {
            await using var upstream = tunnel.WrapUpstream(upstreamSink);
            await using var downstream = tunnel.WrapDownstream(clientSink);
            for (int position = 0, i = 0; position < input.Length; i++)
            {
                var take = chunked ? Math.Min(Chunks[i % Chunks.Length], input.Length - position) : input.Length;
                await upstream.WriteAsync(input.AsMemory(position, take));
                position += take;
            }

            tunnel.Abort();
        }
    }

    private static void Check(byte[] input, (byte[] ToUpstream, byte[] ToClient) output)
    {
        var (toUpstream, toClient) = output;
        if (toClient.Length != 0 && !IsClose(toClient, masked: false))
        {
            throw new InvalidOperationException($"the client got {Convert.ToHexString(toClient)}, not one close frame");
        }

        // The input's own bytes may continue like a close frame does: any cut up to the common prefix may be the one.
        for (var cut = toUpstream.AsSpan().CommonPrefixLength(input); cut >= 0; cut--)
        {
            if (cut == toUpstream.Length || IsClose(toUpstream.AsSpan(cut), masked: true))
            {
                return;
            }
        }

        throw new InvalidOperationException($"the upstream got {Convert.ToHexString(toUpstream)}: not a prefix of the input and a close frame");
    }

    /// <summary>Exactly one close frame (the proxy's reasons are short: a 7-bit length).</summary>
    private static bool IsClose(ReadOnlySpan<byte> frame, bool masked) =>
        frame.Length >= 2 && frame[0] == 0x88 && (frame[1] & 0x80) != 0 == masked && (frame[1] & 0x7F) <= 125
        && frame.Length == 2 + (masked ? 4 : 0) + (frame[1] & 0x7F);
}
