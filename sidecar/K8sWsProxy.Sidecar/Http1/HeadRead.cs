using System.Buffers;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>A head read off a stream, and the bytes that came after it in the same reads (the peer's first frames).</summary>
internal sealed record HeadRead(HttpHead? Head, byte[] Extra, string? Error)
{
    /// <summary>Reads one head with a pooled buffer it gives back before returning. Head null: closed early, or invalid (<see cref="Error"/>).</summary>
    public static async Task<HeadRead> ReadAsync(Stream stream, bool request, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HttpHeadParser.MaxHeadBytes);
        try
        {
            var filled = 0;
            while (true)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled, HttpHeadParser.MaxHeadBytes - filled), cancellationToken);
                if (read == 0)
                {
                    return new HeadRead(null, [], filled == 0 ? null : "connection closed inside the head");
                }

                filled += read;
                switch (HttpHeadParser.TryParse(buffer.AsSpan(0, filled), request, out var head, out var length, out var error))
                {
                    case HttpHeadParser.Result.Complete:
                        return new HeadRead(head, buffer.AsSpan(length, filled - length).ToArray(), null);
                    case HttpHeadParser.Result.Invalid:
                        return new HeadRead(null, [], error);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
