using System.Runtime.CompilerServices;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// The stream the relay copies through in place of one peer's raw stream: reads come from that peer (tracked for
/// keep-alive and lost-peer handling), writes go through the relay of the direction towards that peer.
/// </summary>
internal sealed class TrackingStream : AsyncDuplexStream
{
    private readonly Stream _inner;
    private readonly WebSocketTunnel _tunnel;
    private readonly DirectionRelay _writes;
    private readonly DirectionRelay _reads;
    private readonly CancellationToken _abort;

    // Links made only for callers that pass tokens of their own (YARP's copy loops do; the relay does not).
    private AbortableToken? _readToken;
    private AbortableToken? _writeToken;
    private int _ended;

    // Socket and TLS streams send on write: a flush would only take the direction's gate for nothing.
    private readonly bool _sendsOnWrite;

    /// <param name="writes">The direction towards this peer.</param>
    /// <param name="reads">The direction away from this peer (this peer is its sender).</param>
    public TrackingStream(Stream inner, WebSocketTunnel tunnel, DirectionRelay writes, DirectionRelay reads, CancellationToken abort)
    {
        _inner = inner;
        _sendsOnWrite = inner is SocketStream or System.Net.Security.SslStream;
        _tunnel = tunnel;
        _writes = writes;
        _reads = reads;
        _abort = abort;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadAsync(buffer, now: false, cancellationToken);

    /// <summary>As <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, but -1 instead of a wait when the peer is a socket with nothing to read.</summary>
    public ValueTask<int> ReadNowAsync(Memory<byte> buffer) => ReadAsync(buffer, now: _inner is SocketStream, default);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadAsync(Memory<byte> buffer, bool now, CancellationToken cancellationToken)
    {
        if (_tunnel.IsAborted)
        {
            End();
            return 0;
        }

        int read;
        try
        {
            read = !now ? await _inner.ReadAsync(buffer, ReadToken(cancellationToken))
                : ((SocketStream)_inner).TryRead(buffer.Span, out var got) ? got : -1;
        }
        catch (Exception) when (_tunnel.IsAborted && !cancellationToken.IsCancellationRequested)
        {
            End();
            return 0;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await _tunnel.OnPeerLostAsync(_reads);
            End();
            throw;
        }
        catch
        {
            End();
            throw;
        }

        if (read < 0 || buffer.IsEmpty)
        {
            return read; // nothing yet, or a zero-byte read (YARP waits for data this way): EOF shows on the next real read
        }

        if (read == 0)
        {
            await _tunnel.OnPeerLostAsync(_reads);
            End();
            return 0;
        }

        _reads.MarkSenderActive(_tunnel.Timestamp());
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _tunnel.IsAborted ? default : _writes.WriteAsync(buffer, WriteToken(cancellationToken));

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _tunnel.IsAborted || _sendsOnWrite
            ? Task.CompletedTask
            : _writes.FlushAsync(WriteToken(cancellationToken)).AsTask();

    public override async ValueTask DisposeAsync()
    {
        End();
        await _inner.DisposeAsync();
        Dispose(disposing: false);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        End();
        if (disposing)
        {
            _inner.Dispose();
        }

        _readToken?.Dispose();
        _writeToken?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// Waits until the peer has sent something (or ended) without a buffer and without an async frame of its own:
    /// an idle connection's relay waits here. Failures are met again, and reported, by the read that follows. A socket
    /// waits without the abort token: the tunnel interrupts it instead, so an idle connection holds no registration.
    /// </summary>
    public ValueTask<int> WaitForDataAsync() =>
        _tunnel.IsAborted ? default : _inner is SocketStream socket ? socket.ReadAsync(Memory<byte>.Empty) : _inner.ReadAsync(Memory<byte>.Empty, _abort);

    private CancellationToken ReadToken(CancellationToken caller) =>
        caller.CanBeCanceled ? (_readToken ??= new AbortableToken(_abort)).For(caller) : _abort;

    private CancellationToken WriteToken(CancellationToken caller) =>
        caller.CanBeCanceled ? (_writeToken ??= new AbortableToken(_abort)).For(caller) : _abort;

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            _tunnel.OnStreamEnded();
        }
    }
}
