using System.Runtime.CompilerServices;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// One direction of a tunnel, seen from the write path into its receiver: parses the frames the copy loop writes,
/// forwards data payloads straight from the caller's buffer, inspects control frames, drops what must not reach
/// the receiver, and lets the proxy inject control frames between frames.
/// </summary>
internal sealed partial class DirectionRelay
{
    private enum State
    {
        Header,
        Payload,
        ControlPayload,

        /// <summary>After a protocol error frame boundaries are lost: everything is dropped.</summary>
        Discard,
    }

    private enum Verdict
    {
        Data,
        Control,
        ProtocolError,

        /// <summary>Too many control frames a second, or fragments in a message: closed with 1008.</summary>
        Flood,
    }

    /// <summary>The "compressed" bit of permessage-deflate, set on a message's first frame only.</summary>
    private const int Rsv1 = 0x40;

    private readonly WebSocketTunnel _tunnel;
    private readonly DirectionCounters _counters;
    private readonly long _maxMessageBytes;
    private readonly MessageRateLimiter? _rateLimiter;
    private readonly TimeProvider _time;
    private readonly byte[] _pingPayload;

    // Held by the copy loop from the start of a frame to its end (even across writes), and by every injection,
    // so injected frames land between frames.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly FrameHeaderParser _header = new();
    // Made on first use: most connections never see a control frame, and an idle one should hold as little as it can.
    private byte[]? _control;
    private byte[]? _inject;
    private Stream _receiver = Stream.Null;

    // Copy-loop state: touched only by the loop that writes in this direction.
    private State _state;
    private bool _holdingGate;
    private long _remaining;
    private bool _forward;
    private bool _fin;
    private bool _inMessage;
    private long _messageBytes;
    private int _fragments;
    private long _controlWindowStart;
    private int _controlFramesInWindow;
    private int _controlHeaderLength;
    private int _controlLength;

    private volatile bool _closeSent;

    // A close the proxy wants out in this direction: the copy loop writes it at its next frame boundary even
    // inside one write that carries many frames; otherwise the injection does once it gets the gate.
    private ushort _pendingCloseCode;
    private string? _pendingCloseReason;
    private volatile bool _senderSentClose;
    private volatile bool _senderEnded;
    private long _senderLastRead;
    private int _pinging;

    public DirectionRelay(Direction direction, WebSocketTunnel tunnel, DirectionCounters counters, TunnelOptions options, TimeProvider time, byte[] pingPayload)
    {
        Direction = direction;
        _tunnel = tunnel;
        _counters = counters;
        _maxMessageBytes = options.MaxMessageBytes;
        _rateLimiter = options.MessagesPerSecond > 0 ? new MessageRateLimiter(options.MessagesPerSecond, time) : null;
        _time = time;
        _pingPayload = pingPayload;
        _senderLastRead = time.GetTimestamp();
    }

    public Direction Direction { get; }

    /// <summary>The peer whose frames travel in this direction.</summary>
    public CloseInitiator Sender => Direction == Direction.ToUpstream ? CloseInitiator.Client : CloseInitiator.Upstream;

    /// <summary>A close frame went to the receiver (forwarded or injected); nothing else may follow it.</summary>
    public bool CloseSent => _closeSent;

    public bool SenderSentClose => _senderSentClose;

    public bool SenderEnded => _senderEnded;

    public long SenderLastRead => Volatile.Read(ref _senderLastRead);

    /// <summary>True while the copy loop is inside a frame; read only by that same loop.</summary>
    public bool HoldingGate => _holdingGate;

    public Stream Receiver { get => _receiver; set => _receiver = value; }

    private bool MasksFrames => Direction == Direction.ToUpstream;

    private byte[] Control => _control ??= new byte[FrameHeaderParser.MaxLength + FrameWriter.MaxControlPayload];

    private byte[] Inject => _inject ??= new byte[FrameWriter.MaxControlFrameLength];

    public void MarkSenderActive(long timestamp) => Volatile.Write(ref _senderLastRead, timestamp);

    public void MarkSenderEnded() => _senderEnded = true;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_holdingGate)
        {
            await _gate.WaitAsync(cancellationToken);
            _holdingGate = true;
        }

        var failed = true;
        try
        {
            var pos = 0;
            var run = 0; // start of the bytes that go out unchanged, in one write, when something else must be written
            while (pos < buffer.Length)
            {
                switch (_state)
                {
                    case State.Header:
                        var headerStart = pos;
                        pos += _header.Feed(buffer.Span[pos..]);
                        if (!_header.IsComplete)
                        {
                            // The header ends in a later write; then it is forwarded from the parser's copy.
                            await ForwardAsync(buffer[run..headerStart], cancellationToken);
                            run = pos;
                            break;
                        }

                        run = await OnHeaderAsync(buffer, run, headerStart, pos, cancellationToken);
                        break;

                    case State.Payload:
                        var take = (int)Math.Min(_remaining, buffer.Length - pos);
                        pos += take;
                        _remaining -= take;
                        if (!_forward)
                        {
                            run = pos;
                        }

                        if (_remaining == 0)
                        {
                            EndDataFrame();
                        }

                        break;

                    case State.ControlPayload:
                        var part = (int)Math.Min(_remaining, buffer.Length - pos);
                        buffer.Span.Slice(pos, part).CopyTo(Control.AsSpan(_controlLength));
                        _controlLength += part;
                        _remaining -= part;
                        pos += part;
                        run = pos;
                        if (_remaining == 0)
                        {
                            await OnControlFrameAsync(cancellationToken);
                        }

                        break;

                    default:
                        pos = run = buffer.Length;
                        break;
                }
            }

            await ForwardAsync(buffer[run..pos], cancellationToken);
            failed = false;
        }
        finally
        {
            if (failed)
            {
                // The receiver's stream may now hold part of a frame: never write to it again.
                _state = State.Discard;
            }

            if (_holdingGate && (failed || (_state is State.Header or State.Discard && _header.IsEmpty)))
            {
                _holdingGate = false;
                _gate.Release();
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_holdingGate)
        {
            await _receiver.FlushAsync(cancellationToken);
            return;
        }

        // Flushing the receiver's stream while an injection writes to it is not safe for pipe-backed streams.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _receiver.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Decides on a complete header; returns where the next unchanged run starts.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> OnHeaderAsync(ReadOnlyMemory<byte> buffer, int run, int headerStart, int pos, CancellationToken cancellationToken)
    {
        var headerInBuffer = _header.Length == pos - headerStart;
        if (!_closeSent && Volatile.Read(ref _pendingCloseReason) is { } pendingReason)
        {
            await ForwardAsync(buffer[run..headerStart], cancellationToken);
            run = headerStart;
            await SendCloseAsync(_pendingCloseCode, pendingReason, cancellationToken);
        }

        var verdict = Classify();
        if (verdict is Verdict.ProtocolError or Verdict.Flood)
        {
            await ForwardAsync(buffer[run..headerStart], cancellationToken);
            var (code, reason) = verdict == Verdict.ProtocolError ? ((ushort)1002, "protocol error")
                : _header.Opcode is Opcode.Ping or Opcode.Pong ? ((ushort)1008, "control frame flood")
                : ((ushort)1008, "fragment flood");
            _header.Reset();
            _state = State.Discard;

            // The tunnel records the outcome before our close goes out: the receiver may answer at once.
            _tunnel.OnViolation(this, code, reason);
            if (!_closeSent)
            {
                await SendCloseAsync(code, reason, cancellationToken);
            }

            return pos;
        }

        var length = _header.PayloadLength;
        _remaining = length;
        if (verdict == Verdict.Control)
        {
            await ForwardAsync(buffer[run..headerStart], cancellationToken);
            _header.Bytes.Span.CopyTo(Control);
            _controlHeaderLength = _controlLength = _header.Length;
            _header.Reset();
            _state = State.ControlPayload;
            if (length == 0)
            {
                await OnControlFrameAsync(cancellationToken);
            }

            return pos;
        }

        _fin = _header.Fin;
        if (_rateLimiter is not null && _header.Opcode != Opcode.Continuation && !_closeSent)
        {
            var wait = _rateLimiter.Reserve();
            if (wait > TimeSpan.Zero)
            {
                await ForwardAsync(buffer[run..headerStart], cancellationToken);
                run = headerStart;
                await ThrottleAsync(wait, cancellationToken);
            }
        }

        if (!_closeSent && _maxMessageBytes > 0 && _messageBytes + length > _maxMessageBytes)
        {
            await ForwardAsync(buffer[run..headerStart], cancellationToken);
            run = headerStart;
            _tunnel.OnMessageTooBig();
            await SendCloseAsync(1009, "message too big", cancellationToken);
        }

        _forward = !_closeSent;
        if (_forward)
        {
            if (!headerInBuffer)
            {
                await ForwardAsync(buffer[run..headerStart], cancellationToken);
                await _receiver.WriteAsync(_header.Bytes, cancellationToken);
                run = pos;
            }

            _messageBytes += length;
            _tunnel.MarkDataActivity();
        }
        else
        {
            await ForwardAsync(buffer[run..headerStart], cancellationToken);
            run = pos;
        }

        _header.Reset();
        _state = State.Payload;
        if (length == 0)
        {
            EndDataFrame();
        }

        return run;
    }

    private Verdict Classify()
    {
        var header = _header;
        if (header.PayloadLength < 0 || header.Masked != MasksFrames)
        {
            return Verdict.ProtocolError;
        }

        switch (header.Opcode)
        {
            case Opcode.Close or Opcode.Ping or Opcode.Pong:
                var valid = header.Fin && header.Rsv == 0 && header.PayloadLength <= FrameWriter.MaxControlPayload
                    && !(header.Opcode == Opcode.Close && header.PayloadLength == 1);
                return !valid ? Verdict.ProtocolError : header.Opcode != Opcode.Close && ControlFlood() ? Verdict.Flood : Verdict.Control;
            case Opcode.Continuation when _inMessage && header.Rsv == 0:
                if (++_fragments > _tunnel.MaxFragmentsPerMessage)
                {
                    return Verdict.Flood;
                }

                break;
            case Opcode.Text or Opcode.Binary when !_inMessage && (header.Rsv == 0 || (header.Rsv == Rsv1 && _tunnel.PerMessageDeflate)):
                _messageBytes = 0;
                _fragments = 1;
                break;
            default:
                return Verdict.ProtocolError;
        }

        _inMessage = !header.Fin;
        return Verdict.Data;
    }

    /// <summary>Counts a ping or pong in the current one-second window; true once the window holds too many.</summary>
    private bool ControlFlood()
    {
        var now = _time.GetTimestamp();
        if (_controlFramesInWindow == 0 || _time.GetElapsedTime(_controlWindowStart, now) >= TimeSpan.FromSeconds(1))
        {
            (_controlWindowStart, _controlFramesInWindow) = (now, 0);
        }

        return ++_controlFramesInWindow > _tunnel.MaxControlFramesPerSecond;
    }

    private void EndDataFrame()
    {
        _state = State.Header;
        if (!_fin)
        {
            return;
        }

        if (_forward)
        {
            _counters.CountMessage(_messageBytes);
        }

        _messageBytes = 0;
    }

    /// <summary>Waits out the rate limit at a frame boundary without blocking injections meanwhile.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ThrottleAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        _holdingGate = false;
        _gate.Release();
        await Task.Delay(wait, _time, cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        _holdingGate = true;
    }

    private ValueTask ForwardAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        bytes.IsEmpty ? default : _receiver.WriteAsync(bytes, cancellationToken);
}
