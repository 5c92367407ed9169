using System.Security.Cryptography;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// Frame-aware tunnel around both upgraded streams of one proxied WebSocket: counts messages, enforces the
/// message size and rate limits, sends keep-alive pings, and closes both peers with proper close frames when the
/// proxy ends the connection or a peer vanishes.
/// </summary>
public sealed class WebSocketTunnel
{
    private readonly TunnelOptions _options;
    private readonly TimeProvider _time;
    private readonly DirectionRelay _toUpstream;
    private readonly DirectionRelay _toClient;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<TunnelOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Completed when both peers answered a close (or ended), or on abort: ends the close handshake wait. Made when
    // first needed, as the proxy's own close is: an open connection holds neither.
    private TaskCompletionSource? _closeWaitOver;
    private TaskCompletionSource? _proxyCloseDone;
    private TunnelOutcome? _outcome;
    private int _proxyClosing;
    private int _peerCloseWatched;
    private int _endedStreams;
    private long _lastData;
    private long _lastPing;

    public WebSocketTunnel(TunnelOptions options, DirectionCounters toUpstream, DirectionCounters toClient, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(toUpstream);
        ArgumentNullException.ThrowIfNull(toClient);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxMessageBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MessagesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxControlFramesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxFragmentsPerMessage);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CloseHandshakeTimeout, TimeSpan.Zero);
        _options = options;
        _time = time;

        // Before the relays stamp their peers' first activity: a peer is never silent before its first ping.
        _lastData = _lastPing = time.GetTimestamp();

        // Keep-alive pings carry a magic prefix and a per-tunnel random tag, so their pongs are recognised and not forwarded.
        var pingPayload = new byte[8];
        "k8ws"u8.CopyTo(pingPayload);
        RandomNumberGenerator.Fill(pingPayload.AsSpan(4));
        _toUpstream = new DirectionRelay(Direction.ToUpstream, this, toUpstream, options, time, pingPayload);
        _toClient = new DirectionRelay(Direction.ToClient, this, toClient, options, time, pingPayload);
    }

    private TaskCompletionSource CloseWaitOver => LazyInitializer.EnsureInitialized(ref _closeWaitOver, NewSignal);

    private TaskCompletionSource ProxyCloseDone => LazyInitializer.EnsureInitialized(ref _proxyCloseDone, NewSignal);

    /// <summary>Completes once both wrapped streams ended (read end or disposal).</summary>
    public Task<TunnelOutcome> Completion => _completion.Task;

    internal bool IsAborted => _abort.IsCancellationRequested;

    internal TimeSpan CloseHandshakeTimeout => _options.CloseHandshakeTimeout;

    /// <summary>The flood limits, read by both directions from here: a connection holds one copy of the options, not one per direction.</summary>
    internal int MaxControlFramesPerSecond => _options.MaxControlFramesPerSecond;

    internal int MaxFragmentsPerMessage => _options.MaxFragmentsPerMessage;

    /// <summary>
    /// The upstream's handshake answer accepted permessage-deflate (RFC 7692): a message's first frame may then set
    /// RSV1. Without it, and for RSV2 and RSV3 always, a set bit is a protocol error. Set before any frame flows.
    /// </summary>
    public bool PerMessageDeflate { get; set; }

    /// <summary>Wraps the client's upgraded stream: writes carry server-to-client frames, reads bytes from the client.</summary>
    public Stream WrapDownstream(Stream client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _toClient.Receiver = client;
        return new TrackingStream(client, this, writes: _toClient, reads: _toUpstream, _abort.Token);
    }

    /// <summary>Wraps the upstream's upgraded stream: writes carry client-to-server frames, reads bytes from the upstream.</summary>
    public Stream WrapUpstream(Stream upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _toUpstream.Receiver = upstream;
        return new TrackingStream(upstream, this, writes: _toUpstream, reads: _toClient, _abort.Token);
    }

    /// <summary>
    /// Sends a close frame to both peers at their next frame boundary, waits for their answers (or EOF) up to
    /// <see cref="TunnelOptions.CloseHandshakeTimeout"/>, then aborts. Idempotent: later calls return the first close.
    /// </summary>
    public Task CloseAsync(ushort code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return StartClose(code, reason, "closed by proxy");
    }

    /// <summary>Ends now: pending and future reads on both wrappers return 0, so the copy loops end.</summary>
    public void Abort()
    {
        RecordOutcome(null, null, CloseInitiator.Proxy, "aborted");
        CloseWaitOver.TrySetResult();
        if (!_abort.IsCancellationRequested)
        {
            _abort.Cancel();
            (_toClient.Receiver as SocketStream)?.InterruptReads();
            (_toUpstream.Receiver as SocketStream)?.InterruptReads();
        }
    }

    /// <summary>Called by <see cref="TunnelScheduler"/>: sends due pings, closes silent peers and idle tunnels.</summary>
    public void Tick()
    {
        if (IsAborted || Volatile.Read(ref _proxyClosing) != 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (_options.KeepAliveInterval is { } interval && interval > TimeSpan.Zero)
        {
            if (IsSilent(_toUpstream, interval, now) || IsSilent(_toClient, interval, now))
            {
                _ = StartClose(1001, "keepalive timeout", "keepalive timeout");
                return;
            }

            if (_time.GetElapsedTime(Volatile.Read(ref _lastPing), now) >= interval)
            {
                Volatile.Write(ref _lastPing, now);
                _toClient.StartPing(_abort.Token);
                _toUpstream.StartPing(_abort.Token);
            }
        }

        if (_options.IdleTimeout is { } idle && idle > TimeSpan.Zero && _time.GetElapsedTime(Volatile.Read(ref _lastData), now) >= idle)
        {
            _ = StartClose(1001, "idle timeout", "idle timeout");
        }
    }

    internal long Timestamp() => _time.GetTimestamp();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Silent: nothing read from the peer for two intervals, and not even an answer to a ping that went out an
    /// interval ago. The second part keeps a late tick (a busy machine) from closing a peer that never got its ping.
    /// </summary>
    private bool IsSilent(DirectionRelay from, TimeSpan interval, long now)
    {
        var lastRead = from.SenderLastRead;
        var lastPing = Volatile.Read(ref _lastPing);
        return lastRead < lastPing && _time.GetElapsedTime(lastPing, now) >= interval && _time.GetElapsedTime(lastRead, now) >= 2 * interval;
    }

    internal void MarkDataActivity() => Volatile.Write(ref _lastData, _time.GetTimestamp());

    internal void OnMessageTooBig() => _ = StartClose(1009, "message too big", "message too big");

    /// <summary>A peer broke the protocol (1002) or flooded (1008): the tunnel closes, its outcome naming who.</summary>
    internal void OnViolation(DirectionRelay from, ushort code, string reason) =>
        _ = StartClose(code, reason, reason + (from.Sender == CloseInitiator.Client ? " by client" : " by upstream"));

    internal void RecordPeerClose(DirectionRelay from, int? code, string? reason) =>
        RecordOutcome(code, reason, from.Sender, from.Sender == CloseInitiator.Client ? "closed by client" : "closed by upstream");

    /// <summary>A peer's close frame went through (or was dropped after ours): the other peer must answer in time.</summary>
    internal void OnPeerClosed()
    {
        if (Interlocked.Exchange(ref _peerCloseWatched, 1) == 0)
        {
            _ = AbortUnlessAnsweredAsync();
        }

        AbortIfBothPeersDone();
    }

    /// <summary>A peer's stream ended (EOF or error). Without a close exchanged with it, the other peer is told.</summary>
    internal async ValueTask OnPeerLostAsync(DirectionRelay from)
    {
        from.MarkSenderEnded();
        var towardsLost = from == _toUpstream ? _toClient : _toUpstream;
        if (!IsAborted && !from.SenderSentClose && !towardsLost.CloseSent)
        {
            var upstreamLost = from.Sender == CloseInitiator.Upstream;
            if (upstreamLost)
            {
                RecordOutcome(1014, "upstream lost", CloseInitiator.Proxy, "upstream lost");
            }
            else
            {
                RecordOutcome(1006, null, CloseInitiator.Client, "client lost");
            }

            // The copy loop that reads from the lost peer is also the only writer towards the other one: if it is
            // inside a frame there is no boundary to put a close frame at, and the connection just ends.
            if (!from.HoldingGate)
            {
                try
                {
                    await from.InjectCloseAsync(upstreamLost ? (ushort)1014 : (ushort)1001, upstreamLost ? "upstream lost" : "client lost", _abort.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // The other peer is gone too.
                }
            }
        }

        AbortIfBothPeersDone();
    }

    internal void OnStreamEnded()
    {
        if (Interlocked.Increment(ref _endedStreams) == 2)
        {
            Abort();
            _completion.TrySetResult(Volatile.Read(ref _outcome)!);
        }
    }

    private Task StartClose(ushort code, string reason, string cause)
    {
        RecordOutcome(code, reason, CloseInitiator.Proxy, cause);
        if (Interlocked.Exchange(ref _proxyClosing, 1) == 0)
        {
            _ = RunProxyCloseAsync(code, reason);
        }

        return ProxyCloseDone.Task;
    }

    private async Task RunProxyCloseAsync(ushort code, string reason)
    {
        try
        {
            var toUpstream = _toUpstream.InjectCloseAsync(code, reason, _abort.Token);
            var toClient = _toClient.InjectCloseAsync(code, reason, _abort.Token);
            await Task.WhenAll(toUpstream, toClient).WaitAsync(_options.CloseHandshakeTimeout, _time);
            AbortIfBothPeersDone();
            await CloseWaitOver.Task.WaitAsync(_options.CloseHandshakeTimeout, _time);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // A peer that cannot take or answer the close frame in time is cut by the abort below.
        }

        Abort();
        ProxyCloseDone.TrySetResult();
    }

    /// <summary>A peer started a close handshake: the other one gets the handshake timeout to answer.</summary>
    private async Task AbortUnlessAnsweredAsync()
    {
        try
        {
            await CloseWaitOver.Task.WaitAsync(_options.CloseHandshakeTimeout, _time);
        }
        catch (TimeoutException)
        {
            // Abort below.
        }

        Abort();
    }

    private void AbortIfBothPeersDone()
    {
        if ((_toUpstream.SenderSentClose || _toUpstream.SenderEnded) && (_toClient.SenderSentClose || _toClient.SenderEnded))
        {
            Abort();
        }
    }

    private void RecordOutcome(int? code, string? reason, CloseInitiator initiator, string cause)
    {
        if (Volatile.Read(ref _outcome) is null)
        {
            Interlocked.CompareExchange(ref _outcome, new TunnelOutcome(code, reason, initiator, cause), null);
        }
    }
}
