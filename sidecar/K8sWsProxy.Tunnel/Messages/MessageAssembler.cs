using System.Buffers;

namespace K8sWsProxy.Tunnel.Messages;

/// <summary>What <see cref="MessageAssembler.Next"/> found in the bytes it was given.</summary>
internal enum UnitKind
{
    /// <summary>Every byte given was taken; nothing is complete yet.</summary>
    NeedMore,

    /// <summary>A whole data message no larger than the limit: <see cref="MessageAssembler.Raw"/> is its frames as sent.</summary>
    Message,

    /// <summary>A ping, pong or close frame (possibly between fragments of a message being collected).</summary>
    Control,

    /// <summary>Bytes to pass on unchanged: a message over the limit as it arrives, or anything after bytes that are not frames.</summary>
    Passthrough,
}

/// <summary>
/// Cuts one direction's byte stream into whole messages for <see cref="MessageStage"/>: a message's frames are
/// collected until its last fragment (as they were sent, and its payload unmasked), control frames come out as they
/// complete, and a message that grows past the limit comes out in pieces as it arrives. Bytes that are not valid
/// frames come out unchanged from there on, for the tunnel to refuse.
/// </summary>
/// <remarks>The memory of a unit is valid until the next call.</remarks>
internal sealed class MessageAssembler(long maxMessageBytes)
{
    private enum State
    {
        Header,
        Payload,
        ControlPayload,
        Broken,
    }

    private readonly FrameHeaderParser _header = new();
    private State _state;
    private readonly List<FrameAt> _frames = [];
    private byte[]? _raw;
    private int _rawLength;
    private byte[]? _payload;
    private ReadOnlyMemory<byte>? _joined;
    private bool _controlUnit;
    private byte[]? _control;
    private byte[]? _controlPayload;
    private int _controlLength;
    private int _controlHeaderLength;
    private bool _inMessage;
    private bool _streaming;
    private bool _fin;
    private bool _masked;
    private long _remaining;
    private long _messageBytes;
    private int _messageOpcode;

    /// <summary>The unit's bytes as they were sent.</summary>
    public ReadOnlyMemory<byte> Raw { get; private set; }

    /// <summary>
    /// The payload, unmasked: a whole message's fragments joined (made when first asked for, before
    /// <see cref="TakeMessage"/>: most messages are never read), or a control frame's.
    /// </summary>
    public ReadOnlyMemory<byte> Payload => _controlUnit ? _controlPayload.AsMemory(0, _controlLength - _controlHeaderLength) : _joined ??= Join();

    /// <summary>The payload's length, known without joining it.</summary>
    public long PayloadLength { get; private set; }

    /// <summary>Text or Binary for a message, the frame's opcode for a control frame.</summary>
    public int Opcode { get; private set; }

    /// <summary>A passthrough unit that ends a message passed through.</summary>
    public bool EndsMessage { get; private set; }

    /// <summary>Part of a message over the limit has come out already: the stream is inside a message.</summary>
    public bool InPassthrough => _streaming;

    /// <summary>The stream is not at a message boundary (a message is being collected or passed through).</summary>
    public bool InMessage => _inMessage;

    /// <summary>The bytes stopped being frames; everything since went out unchanged.</summary>
    public bool IsBroken => _state == State.Broken;

    /// <summary>Forgets a partly collected message (its sender is gone): the next bytes start a new frame.</summary>
    public void Reset()
    {
        _header.Reset();
        _state = State.Header;
        _inMessage = _streaming = false;
        _rawLength = 0;
        _messageBytes = 0;
        _frames.Clear();
        ReturnBuffers();
    }

    /// <summary>Gives the pooled message buffers back (the connection is over, or between messages).</summary>
    public void ReturnBuffers()
    {
        if (_rawLength != 0)
        {
            return;
        }

        if (_raw is not null)
        {
            ArrayPool<byte>.Shared.Return(_raw);
            _raw = null;
        }

        if (_payload is not null)
        {
            ArrayPool<byte>.Shared.Return(_payload);
            _payload = null;
        }
    }

    /// <summary>Hands over the pooled array that holds the whole message just completed (<see cref="Raw"/>): the caller returns it to the pool.</summary>
    public byte[] TakeMessage()
    {
        var raw = _raw!;
        _raw = null;
        return raw;
    }

    /// <summary>Takes bytes from <paramref name="input"/> until a unit is complete or the input is used up.</summary>
    public UnitKind Next(ReadOnlyMemory<byte> input, out int consumed)
    {
        consumed = 0;
        while (consumed < input.Length)
        {
            switch (_state)
            {
                case State.Broken:
                    Raw = input[consumed..];
                    consumed = input.Length;
                    EndsMessage = false;
                    return UnitKind.Passthrough;

                case State.Header:
                    consumed += _header.Feed(input.Span[consumed..]);
                    if (!_header.IsComplete)
                    {
                        return UnitKind.NeedMore;
                    }

                    if (OnHeader(input, ref consumed) is { } unit)
                    {
                        return unit;
                    }

                    break;

                case State.ControlPayload:
                    var part = (int)Math.Min(_remaining, input.Length - consumed);
                    input.Span.Slice(consumed, part).CopyTo(_control.AsSpan(_controlLength));
                    _controlLength += part;
                    _remaining -= part;
                    consumed += part;
                    if (_remaining == 0)
                    {
                        return EndControl();
                    }

                    break;

                case State.Payload:
                    var take = (int)Math.Min(_remaining, input.Length - consumed);
                    var chunk = input.Slice(consumed, take);
                    consumed += take;
                    _remaining -= take;
                    if (_streaming)
                    {
                        var last = _remaining == 0 && _fin;
                        if (_remaining == 0)
                        {
                            EndFrame();
                        }

                        return Pass(chunk, last);
                    }

                    Append(ref _raw, ref _rawLength, chunk.Span);

                    if (_remaining == 0 && EndFrame())
                    {
                        return EndMessage();
                    }

                    break;
            }
        }

        // A frame with no payload completes with its header, which may be the input's last bytes.
        return _state == State.Payload && _remaining == 0 ? FinishEmptyFrame() : UnitKind.NeedMore;
    }

    /// <summary>Decides on a complete header; a unit when one is complete already, null to go on.</summary>
    private UnitKind? OnHeader(ReadOnlyMemory<byte> input, ref int consumed)
    {
        var opcode = _header.Opcode;
        var length = _header.PayloadLength;
        var control = opcode >= 0x8;
        var valid = length >= 0 && (control
            ? opcode is Tunnel.Opcode.Close or Tunnel.Opcode.Ping or Tunnel.Opcode.Pong && _header.Fin && length <= FrameWriter.MaxControlPayload
            : opcode == Tunnel.Opcode.Continuation ? _inMessage : opcode is Tunnel.Opcode.Text or Tunnel.Opcode.Binary && !_inMessage);
        if (!valid)
        {
            // Everything collected, this header and the rest go out as they are; the tunnel closes with 1002.
            var rest = input[consumed..];
            var bytes = new byte[_rawLength + _header.Length + rest.Length];
            _raw.AsSpan(0, _rawLength).CopyTo(bytes);
            _header.Bytes.Span.CopyTo(bytes.AsSpan(_rawLength));
            rest.Span.CopyTo(bytes.AsSpan(_rawLength + _header.Length));
            consumed = input.Length;
            _rawLength = 0;
            ReturnBuffers();
            _state = State.Broken;
            return Pass(bytes, last: false);
        }

        _masked = _header.Masked;
        _remaining = length;
        if (control)
        {
            _control ??= new byte[FrameHeaderParser.MaxLength + FrameWriter.MaxControlPayload];
            _header.Bytes.Span.CopyTo(_control);
            _controlHeaderLength = _controlLength = _header.Length;
            Opcode = opcode;
            _header.Reset();
            _state = State.ControlPayload;
            return length == 0 ? EndControl() : null;
        }

        if (opcode != Tunnel.Opcode.Continuation)
        {
            _messageOpcode = opcode;
            _messageBytes = 0;
            _frames.Clear();
        }

        _inMessage = true;
        _fin = _header.Fin;
        _messageBytes += length;
        _state = State.Payload;
        if (!_streaming && _messageBytes > maxMessageBytes)
        {
            // Too big to hold: what was collected and this header go out now, the rest as it comes.
            _streaming = true;
            var bytes = new byte[_rawLength + _header.Length];
            _raw.AsSpan(0, _rawLength).CopyTo(bytes);
            _header.Bytes.Span.CopyTo(bytes.AsSpan(_rawLength));
            _header.Reset();
            _rawLength = 0;
            _frames.Clear();
            ReturnBuffers();
            return PassHeader(bytes);
        }

        if (_streaming)
        {
            var header = _header.Bytes.ToArray();
            _header.Reset();
            return PassHeader(header);
        }

        Append(ref _raw, ref _rawLength, _header.Bytes.Span);
        _frames.Add(new FrameAt(_rawLength, (int)length, _masked ? _rawLength - 4 : -1));
        _header.Reset();
        return null;
    }

    /// <summary>A passed-through frame's header; an empty last frame ends its message with it.</summary>
    private UnitKind PassHeader(byte[] bytes)
    {
        var last = _remaining == 0 && _fin;
        if (_remaining == 0)
        {
            EndFrame();
        }

        return Pass(bytes, last);
    }

    private UnitKind FinishEmptyFrame() => EndFrame() ? EndMessage() : UnitKind.NeedMore;

    /// <summary>True when the frame ended its message.</summary>
    private bool EndFrame()
    {
        _state = State.Header;
        if (!_fin)
        {
            return false;
        }

        _inMessage = false;
        _streaming = false;
        return true;
    }

    private UnitKind EndMessage()
    {
        Raw = _raw.AsMemory(0, _rawLength);
        PayloadLength = _messageBytes;
        Opcode = _messageOpcode;
        _controlUnit = false;
        _joined = null;
        _rawLength = 0;
        return UnitKind.Message;
    }

    private UnitKind EndControl()
    {
        _state = State.Header;
        var length = _controlLength - _controlHeaderLength;
        _controlPayload ??= new byte[FrameWriter.MaxControlPayload];
        _control.AsSpan(_controlHeaderLength, length).CopyTo(_controlPayload);
        if (_masked)
        {
            FrameWriter.ApplyMask(_controlPayload.AsSpan(0, length), _control.AsSpan(_controlHeaderLength - 4, 4));
        }
        Raw = _control.AsMemory(0, _controlLength);
        _controlUnit = true;
        return UnitKind.Control;
    }

    /// <summary>The message's payload from its frames: a slice of them when it is one unmasked frame, else joined and unmasked.</summary>
    private ReadOnlyMemory<byte> Join()
    {
        if (_frames is [{ MaskAt: < 0 } only])
        {
            return _raw.AsMemory(only.Start, only.Length);
        }

        if (_payload is null || _payload.Length < PayloadLength)
        {
            if (_payload is not null)
            {
                ArrayPool<byte>.Shared.Return(_payload);
            }

            _payload = ArrayPool<byte>.Shared.Rent((int)PayloadLength);
        }

        var written = 0;
        foreach (var frame in _frames)
        {
            var from = _raw.AsSpan(frame.Start, frame.Length);
            var to = _payload.AsSpan(written, frame.Length);
            from.CopyTo(to);
            if (frame.MaskAt >= 0)
            {
                FrameWriter.ApplyMask(to, _raw.AsSpan(frame.MaskAt, 4));
            }

            written += frame.Length;
        }

        return _payload.AsMemory(0, written);
    }

    private UnitKind Pass(ReadOnlyMemory<byte> bytes, bool last)
    {
        Raw = bytes;
        EndsMessage = last;
        return UnitKind.Passthrough;
    }

    private static void Append(ref byte[]? buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (buffer is null || length + bytes.Length > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(length + bytes.Length, Math.Min(2 * (buffer?.Length ?? 0), int.MaxValue / 2)));
            if (buffer is not null)
            {
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = bigger;
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>Where a collected frame's payload is in the message's bytes, and its mask key (-1: none).</summary>
    private readonly record struct FrameAt(int Start, int Length, int MaskAt);
}
