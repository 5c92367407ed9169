using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using K8sWsProxy.Tunnel.Sockets;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// A connected socket as a stream, driven by the <see cref="SocketReactor"/>: reads and writes are tried at once
/// without blocking and only wait when the socket would block. A socket found empty (a read came back short or would
/// block) or full (a send came back short or would block) is not tried again until the reactor reports an edge, so
/// the common relay step is one receive and one send. A wait holds nothing but the caller's buffer;
/// <see cref="TryRead"/> lets a relay wait without one.
/// </summary>
/// <remarks>Linux only (epoll). Failures surface as <see cref="IOException"/>; a disposed stream as <see cref="ObjectDisposedException"/>.</remarks>
public sealed class SocketStream : AsyncDuplexStream, IValueTaskSource<int>, IValueTaskSource
{
    private const uint Ended = Syscalls.RdHup | Syscalls.Hup | Syscalls.Err;

    private readonly SocketHandle _handle;
    private readonly SocketReactor _reactor;
    private readonly ulong _id;
    private int _disposed;

    // Edges are counted; a read that found the socket empty remembers the count it saw and waits for a newer one.
    // A new socket counts as empty: registering reports an edge at once if it holds bytes already.
    private int _readEdges;
    private int _readEmptyAt;
    private volatile bool _readEnded; // the peer's end or an error was reported: a short read no longer means "empty"
    private volatile bool _readInterrupted;
    private int _readParked;
    private Memory<byte> _readBuffer;
    private CancellationToken _readToken;
    private CancellationTokenRegistration _readCancel;
    private ManualResetValueTaskSourceCore<int> _read;

    private int _writeEdges = 1;
    private int _writeFullAt;
    private int _writeParked;
    private ReadOnlyMemory<byte> _writeRest;
    private CancellationToken _writeToken;
    private CancellationTokenRegistration _writeCancel;
    private ManualResetValueTaskSourceCore<bool> _write;

    /// <param name="socket">Connected; switched to non-blocking. From this call on its descriptor is the stream's, also when
    /// the call throws (it is closed then): the <see cref="Socket"/> object is let go and must not be disposed, since
    /// .NET's socket waits for ever to release a handle taken from it.</param>
    public SocketStream(Socket socket)
        : this(TakeNonBlocking(socket), connecting: false)
    {
    }

    /// <summary>Registers <paramref name="handle"/>, which it owns: closed again when registering fails.</summary>
    private SocketStream(SocketHandle handle, bool connecting)
    {
        _handle = handle;
        if (connecting)
        {
            _writeFullAt = _writeEdges; // writable only once the connect is done
        }

        _reactor = SocketReactor.Shared;
        try
        {
            _id = _reactor.Add(handle.Fd, this);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens a TCP connection (no Nagle) without blocking a thread.</summary>
    public static async ValueTask<SocketStream> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var handle = SocketHandle.TakeFrom(new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        bool connected;
        try
        {
            Syscalls.SetNonBlocking(handle.Fd);
            connected = Syscalls.StartConnect(handle.Fd, remote.Serialize());
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        // Registered once the connect is under way: a socket that is not connecting yet reports itself as hung up.
        var stream = new SocketStream(handle, connecting: !connected);
        try
        {
            if (!connected)
            {
                await stream.WriteAsync(ReadOnlyMemory<byte>.Empty, cancellationToken);
                Syscalls.ThrowIfConnectFailed(handle.Fd);
            }

            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Reads what the socket holds now, without waiting: false when it holds nothing. A relay borrows its buffer only
    /// for this call and waits for data with a zero-byte read, so an idle connection holds no buffer.
    /// </summary>
    /// <param name="read">0 when the peer ended its side.</param>
    public bool TryRead(Span<byte> buffer, out int read)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        read = 0;
        var edges = Volatile.Read(ref _readEdges);
        if (edges == _readEmptyAt && !_readEnded)
        {
            return false;
        }

        if (buffer.IsEmpty)
        {
            return true; // a zero-byte read: something came since the socket was found empty
        }

        read = Syscalls.Receive(_handle, buffer);
        if (read < 0)
        {
            read = 0;
            _readEmptyAt = edges;
            return false;
        }

        if (read > 0 && read < buffer.Length)
        {
            _readEmptyAt = edges;
        }

        return true;
    }

    /// <remarks>A zero-byte read waits for data without a buffer.</remarks>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        try
        {
            if (TryRead(buffer.Span, out var read))
            {
                return ValueTask.FromResult(read);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return ValueTask.FromException<int>(e);
        }

        _readBuffer = buffer;
        _readToken = cancellationToken;
        _read.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            _readCancel = cancellationToken.UnsafeRegister(static s => ((SocketStream)s!).CancelRead(), this);
        }

        Interlocked.Exchange(ref _readParked, 1);
        ResumeReadIfDue();
        return new ValueTask<int>(this, _read.Version);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            if (TryWrite(ref buffer))
            {
                return default;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return ValueTask.FromException(e);
        }

        _writeRest = buffer;
        _writeToken = cancellationToken;
        _write.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            _writeCancel = cancellationToken.UnsafeRegister(static s => ((SocketStream)s!).CancelWrite(), this);
        }

        Interlocked.Exchange(ref _writeParked, 1);
        ResumeWriteIfDue();
        return new ValueTask(this, _write.Version);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Nothing is buffered: TLS above it may flush synchronously.
    public override void Flush()
    {
    }

    /// <summary>
    /// Ends a parked read, and every later read that would wait, with <see cref="OperationCanceledException"/>: how a
    /// relay that waits without a cancellation token (a registration held by every idle connection) is stopped.
    /// </summary>
    public void InterruptReads()
    {
        _readInterrupted = true;
        ResumeRead();
    }

    /// <summary>On the reactor's thread: what epoll reported for this socket.</summary>
    internal void OnEdges(uint events)
    {
        if ((events & (Syscalls.Out | Syscalls.Hup | Syscalls.Err)) != 0)
        {
            Interlocked.Increment(ref _writeEdges);
            if (Volatile.Read(ref _writeParked) == 1)
            {
                ResumeWrite();
            }
        }

        if ((events & (Syscalls.In | Ended)) != 0)
        {
            if ((events & Ended) != 0)
            {
                _readEnded = true;
            }

            Interlocked.Increment(ref _readEdges);
            if (Volatile.Read(ref _readParked) == 1)
            {
                ResumeRead();
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _reactor.Remove(_id);
            _handle.Dispose();
            if (Interlocked.Exchange(ref _readParked, 0) == 1)
            {
                CompleteRead(0, new ObjectDisposedException(nameof(SocketStream)));
            }

            if (Interlocked.Exchange(ref _writeParked, 0) == 1)
            {
                CompleteWrite(new ObjectDisposedException(nameof(SocketStream)));
            }
        }

        base.Dispose(disposing);
    }

    private static SocketHandle TakeNonBlocking(Socket socket)
    {
        var handle = SocketHandle.TakeFrom(socket);
        try
        {
            Syscalls.SetNonBlocking(handle.Fd);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private bool TryWrite(ref ReadOnlyMemory<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        while (!buffer.IsEmpty)
        {
            var edges = Volatile.Read(ref _writeEdges);
            if (edges == _writeFullAt)
            {
                return false;
            }

            var sent = Syscalls.Send(_handle, buffer.Span);
            if (sent < 0)
            {
                _writeFullAt = edges;
                return false;
            }

            buffer = buffer[sent..];
            if (!buffer.IsEmpty)
            {
                _writeFullAt = edges; // a short send: the socket's buffer is full
            }
        }

        // An empty write waits for the socket to be writable (a connect in progress).
        return Volatile.Read(ref _writeEdges) != _writeFullAt;
    }

    // Either side may resume a parked operation (the reactor on an edge, the caller when an edge came while it
    // parked, a cancellation); whoever clears the parked flag does it, once.
    private void ResumeReadIfDue()
    {
        if (Volatile.Read(ref _readEdges) != _readEmptyAt || _readEnded || _readInterrupted || _readToken.IsCancellationRequested)
        {
            ResumeRead();
        }
    }

    private void ResumeRead()
    {
        if (Interlocked.Exchange(ref _readParked, 0) == 0)
        {
            return;
        }

        if (_readToken.IsCancellationRequested || _readInterrupted)
        {
            CompleteRead(0, new OperationCanceledException(_readToken));
            return;
        }

        int read;
        try
        {
            if (!TryRead(_readBuffer.Span, out read))
            {
                Interlocked.Exchange(ref _readParked, 1);
                ResumeReadIfDue();
                return;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            CompleteRead(0, e);
            return;
        }

        CompleteRead(read, null);
    }

    private void CancelRead()
    {
        if (Interlocked.Exchange(ref _readParked, 0) == 1)
        {
            CompleteRead(0, new OperationCanceledException(_readToken));
        }
    }

    private void CompleteRead(int read, Exception? error)
    {
        // Nothing of the wait stays: a token kept here would keep its source (a handshake's timeout) alive.
        _readCancel.Unregister();
        _readCancel = default;
        _readToken = default;
        _readBuffer = default;
        if (error is null)
        {
            _read.SetResult(read);
        }
        else
        {
            _read.SetException(error);
        }
    }

    private void ResumeWriteIfDue()
    {
        if (Volatile.Read(ref _writeEdges) != _writeFullAt || _writeToken.IsCancellationRequested)
        {
            ResumeWrite();
        }
    }

    private void ResumeWrite()
    {
        if (Interlocked.Exchange(ref _writeParked, 0) == 0)
        {
            return;
        }

        if (_writeToken.IsCancellationRequested)
        {
            CompleteWrite(new OperationCanceledException(_writeToken));
            return;
        }

        try
        {
            var rest = _writeRest;
            var done = TryWrite(ref rest);
            _writeRest = rest;
            if (!done)
            {
                Interlocked.Exchange(ref _writeParked, 1);
                ResumeWriteIfDue();
                return;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            CompleteWrite(e);
            return;
        }

        CompleteWrite(null);
    }

    private void CancelWrite()
    {
        if (Interlocked.Exchange(ref _writeParked, 0) == 1)
        {
            CompleteWrite(new OperationCanceledException(_writeToken));
        }
    }

    private void CompleteWrite(Exception? error)
    {
        _writeCancel.Unregister();
        _writeCancel = default;
        _writeToken = default;
        _writeRest = default;
        if (error is null)
        {
            _write.SetResult(true);
        }
        else
        {
            _write.SetException(error);
        }
    }

    // Reset once the result is taken: a completed source would otherwise keep its awaiter (an async method's whole
    // state) alive until the next wait.
    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _read.GetResult(token);
        }
        finally
        {
            _read.Reset();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _write.GetResult(token);
        }
        finally
        {
            _write.Reset();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _write.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _write.OnCompleted(continuation, state, token, flags);
}
