using System.Buffers;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>A head read off a stream, and the bytes that came after it in the same reads (the peer's first frames).</summary>
internal sealed record HeadRead(HttpHead? Head, byte[] Extra, string? Error)
{
    /// <summary>
    /// Reads one head. Waits for bytes without a buffer and borrows a pooled one only while they are parsed: a
    /// client that is slow to send its head holds no buffer, and a burst of handshakes does not drain the pool (a
    /// drained pool hands out new arrays, which is garbage per handshake). Head null: closed early, or invalid
    /// (<see cref="Error"/>).
    /// </summary>
    public static async Task<HeadRead> ReadAsync(Stream stream, bool request, CancellationToken cancellationToken)
    {
        // The head so far when it spans reads (rare: a head usually arrives whole).
        var partial = Array.Empty<byte>();
        while (true)
        {
            _ = await stream.ReadAsync(Memory<byte>.Empty, cancellationToken); // returns once bytes (or the end) are there
            var buffer = ArrayPool<byte>.Shared.Rent(HttpHeadParser.MaxHeadBytes);
            try
            {
                partial.CopyTo(buffer, 0);
                var read = await stream.ReadAsync(buffer.AsMemory(partial.Length, HttpHeadParser.MaxHeadBytes - partial.Length), cancellationToken);
                if (read == 0)
                {
                    return new HeadRead(null, [], partial.Length == 0 ? null : "connection closed inside the head");
                }

                var filled = partial.Length + read;
                switch (HttpHeadParser.TryParse(buffer.AsSpan(0, filled), request, out var head, out var length, out var error))
                {
                    case HttpHeadParser.Result.Complete:
                        return new HeadRead(head, buffer.AsSpan(length, filled - length).ToArray(), null);
                    case HttpHeadParser.Result.Invalid:
                        return new HeadRead(null, [], error);
                }

                partial = buffer.AsSpan(0, filled).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
