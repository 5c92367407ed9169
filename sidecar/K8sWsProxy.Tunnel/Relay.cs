using System.Buffers;
using System.Net.Sockets;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// Moves bytes both ways between two connected streams until both directions end. A direction waits for data with
/// a zero-byte read, so an idle connection holds no buffer; once data comes it borrows a pooled buffer and reads
/// until a read comes back short (the socket had nothing more) before it waits again. From a socket it reads only what
/// is there, so it never waits holding the buffer.
/// </summary>
public static class Relay
{
    private const int BufferSize = 16 * 1024;

    /// <summary>Through a frame-tracking tunnel; the bytes each peer sent before the relay began go first.</summary>
    public static Task RunAsync(WebSocketTunnel tunnel, Stream client, Stream upstream, ReadOnlyMemory<byte> fromClient, ReadOnlyMemory<byte> fromUpstream) =>
        RunAsync(tunnel, client, upstream, fromClient, fromUpstream, BufferSize);

    /// <param name="bufferSize">Tests use small buffers to split frames at every point.</param>
    internal static Task RunAsync(WebSocketTunnel tunnel, Stream client, Stream upstream, ReadOnlyMemory<byte> fromClient, ReadOnlyMemory<byte> fromUpstream, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        var clientSide = tunnel.WrapDownstream(client);
        var upstreamSide = tunnel.WrapUpstream(upstream);
        // A peer that ended its side gets the close handshake timeout for the other side to finish, as the tunnel does.
        return BothAsync(clientSide, upstreamSide, fromClient, fromUpstream, bufferSize, tunnel.CloseHandshakeTimeout, tunnel.Abort, disposeAtEnd: true);
    }

    /// <summary>Bytes as they are (frame tracking off): the first direction to end ends both.</summary>
    public static Task RunUntrackedAsync(Stream client, Stream upstream, ReadOnlyMemory<byte> fromClient, ReadOnlyMemory<byte> fromUpstream)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        return BothAsync(client, upstream, fromClient, fromUpstream, BufferSize, TimeSpan.Zero, () =>
        {
            client.Dispose();
            upstream.Dispose();
        }, disposeAtEnd: false);
    }

    // The one async frame a relayed connection keeps besides its two directions' (each is a few hundred bytes of an idle
    // connection's memory).
    private static async Task BothAsync(Stream a, Stream b, ReadOnlyMemory<byte> fromA, ReadOnlyMemory<byte> fromB, int bufferSize, TimeSpan grace, Action stop, bool disposeAtEnd)
    {
        try
        {
            var aToB = PumpAsync(a, b, fromA, bufferSize);
            var bToA = PumpAsync(b, a, fromB, bufferSize);
            var first = await Task.WhenAny(aToB, bToA);
            var other = first == aToB ? bToA : aToB;
            if (grace > TimeSpan.Zero)
            {
                await Task.WhenAny(other, Task.Delay(grace));
            }

            if (!other.IsCompleted)
            {
                stop();
            }

            await other;
        }
        finally
        {
            if (disposeAtEnd)
            {
                await a.DisposeAsync();
                await b.DisposeAsync();
            }
        }
    }

    private static ValueTask<int> WaitForDataAsync(Stream from) =>
        from is TrackingStream tracked ? tracked.WaitForDataAsync() : from.ReadAsync(Memory<byte>.Empty);

    /// <summary>Bytes from <paramref name="from"/>; -1 when it is a socket with nothing to read now.</summary>
    private static ValueTask<int> ReadNowAsync(Stream from, Memory<byte> buffer) => from switch
    {
        TrackingStream tracked => tracked.ReadNowAsync(buffer),
        SocketStream socket => ValueTask.FromResult(socket.TryRead(buffer.Span, out var read) ? read : -1),
        _ => from.ReadAsync(buffer),
    };

    private static async Task PumpAsync(Stream from, Stream to, ReadOnlyMemory<byte> first, int bufferSize)
    {
        try
        {
            if (!first.IsEmpty)
            {
                await to.WriteAsync(first);
            }

            while (true)
            {
                try
                {
                    _ = await WaitForDataAsync(from); // returns once data (or the end) is there
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The read below meets it again; a tracked stream reports the lost peer there.
                }

                var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
                try
                {
                    int read;
                    do
                    {
                        read = await ReadNowAsync(from, buffer.AsMemory(0, bufferSize));
                        if (read < 0)
                        {
                            break; // the edge that woke us was for bytes already read
                        }

                        if (read == 0)
                        {
                            return;
                        }

                        await to.WriteAsync(buffer.AsMemory(0, read));
                    }
                    while (read == bufferSize);

                    // Before waiting again: streams that buffer writes (HTTP/2) send them now; sockets have nothing to do.
                    await to.FlushAsync();
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A peer went away or the tunnel was aborted; the tunnel has recorded which.
        }
    }
}
