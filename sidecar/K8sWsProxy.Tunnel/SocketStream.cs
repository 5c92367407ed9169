using System.Net.Sockets;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// A connected socket as a stream, for the relay: reads and writes are tried at once without blocking and only
/// wait (asynchronously) when the socket would block. A write to a peer that keeps up is one system call and no
/// asynchronous state; the socket's send state for waiting is only made for a peer that pushes back.
/// </summary>
public sealed class SocketStream : AsyncDuplexStream
{
    private readonly Socket _socket;

    /// <param name="socket">Connected; switched to non-blocking, and owned (closed with the stream).</param>
    /// <remarks>Failures surface as <see cref="IOException"/> when met at once, as <see cref="SocketException"/> after a wait.</remarks>
    public SocketStream(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _socket.Blocking = false;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!buffer.IsEmpty)
        {
            var read = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return ValueTask.FromResult(read);
            }

            if (error != SocketError.WouldBlock)
            {
                return ValueTask.FromException<int>(new IOException($"receive failed: {error}", new SocketException((int)error)));
            }
        }

        // Nothing there yet (or a zero-byte read, which waits for data without a buffer).
        return ReceiveAsync(buffer, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var sent = _socket.Send(buffer.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return SendAsync(buffer, cancellationToken);
            }

            if (error != SocketError.Success)
            {
                return ValueTask.FromException(new IOException($"send failed: {error}", new SocketException((int)error)));
            }

            buffer = buffer[sent..];
        }

        return default;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Nothing is buffered: TLS above it may flush synchronously.
    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    // The socket's own awaitables (one cached per socket and direction): nothing allocated per wait.
    private ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    private async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken);
}
