using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace K8sWsProxy.Tunnel.Messages;

/// <summary>
/// Stands in for the upstream's stream of a tunnel on routes with message rules or failover: it sees whole messages
/// both ways (up to <see cref="MessageOptions.MaxMessageBytes"/>), applies the route's rules to them, and when the
/// upstream connection is lost it keeps the client, holds its messages, connects again and carries on, always at
/// message boundaries. The tunnel in front of it still does everything else (limits, keep-alive, closes).
/// </summary>
/// <remarks>
/// Writes are the client's frames (and the tunnel's own) on their way to the upstream; reads are what the client is
/// sent: the upstream's frames, replies of rules and notices, queued by a loop of its own that reads the upstream.
/// </remarks>
public sealed class MessageStage : AsyncDuplexStream
{
    private const int ReadSize = 16 * 1024;

    private readonly WebSocketTunnel _tunnel;
    private readonly MessageOptions _options;
    private readonly FailoverOptions? _failover;
    private readonly Func<CancellationToken, Task<UpstreamConnection>>? _reconnect;
    private readonly IMessageEvents _events;
    private readonly TimeProvider _time;
    private readonly MessageAssembler _fromClient;
    private readonly MessageAssembler _fromUpstream;

    // What the client is sent, in order; bounded so that a client that does not read holds the upstream back.
    private readonly Channel<Outgoing> _toClient = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(16) { SingleReader = true });

    // Everything written to the upstream is written under it: the client's frames, replies to the upstream, the replay.
    private readonly SemaphoreSlim _upstreamWrites = new(1, 1);
    private readonly CancellationTokenSource _stop = new();

    // Under _upstreamWrites: the current upstream (null while reconnecting) and how many it had before it.
    private Stream? _upstream;
    private int _generation;
    private long _heldBytes;
    private byte[]? _opening;
    private bool _closedInGap;

    // The client's message passed through in pieces: the upstream generation it started on (-1: dropping its rest).
    private int _passthroughGeneration;
    private bool _passingThrough;

    private Outgoing _reading;
    private int _readOffset;
    private volatile bool _closing;
    private bool _upstreamClosed;
    private int _failovers;

    // Made at the first failover: most connections never have one.
    private Queue<byte[]>? _held;
    private string? _id;

    /// <param name="reconnect">One attempt at a new upstream connection (throws when it fails); needed with failover.</param>
    public MessageStage(WebSocketTunnel tunnel, MessageOptions options, Stream upstream, ReadOnlyMemory<byte> fromUpstream, Func<CancellationToken, Task<UpstreamConnection>>? reconnect, IMessageEvents events, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Failover is not null)
        {
            ArgumentNullException.ThrowIfNull(reconnect);
        }

        _tunnel = tunnel;
        _options = options;
        _failover = options.Failover;
        _reconnect = reconnect;
        _events = events;
        _time = time;
        _fromClient = new MessageAssembler(options.MaxMessageBytes);
        _fromUpstream = new MessageAssembler(options.MaxMessageBytes);
        _upstream = upstream;
        _ = PumpAsync(upstream, fromUpstream);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_reading.Bytes is null)
        {
            if (!_toClient.Reader.TryRead(out var next))
            {
                if (!await _toClient.Reader.WaitToReadAsync(cancellationToken) || buffer.IsEmpty)
                {
                    return 0; // the end, or a zero-byte read: there is something to read now
                }

                _toClient.Reader.TryRead(out next);
            }

            (_reading, _readOffset) = (next, 0);
        }

        var count = Math.Min(buffer.Length, _reading.Length - _readOffset);
        _reading.Bytes.AsSpan(_readOffset, count).CopyTo(buffer.Span);
        _readOffset += count;
        if (_readOffset == _reading.Length)
        {
            if (_reading.Pooled)
            {
                ArrayPool<byte>.Shared.Return(_reading.Bytes);
            }

            _reading = default;
        }

        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var pos = 0;
        while (pos < buffer.Length)
        {
            var unit = _fromClient.Next(buffer[pos..], out var used);
            pos += used;
            switch (unit)
            {
                case UnitKind.Message:
                    await OnClientMessageAsync(cancellationToken);
                    _fromClient.ReturnBuffers();
                    break;
                case UnitKind.Control:
                    await OnClientControlAsync(cancellationToken);
                    break;
                case UnitKind.Passthrough:
                    await OnClientPassthroughAsync(cancellationToken);
                    break;
            }
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _upstreamWrites.WaitAsync(cancellationToken);
        try
        {
            if (_upstream is { } upstream)
            {
                await upstream.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (_failover is not null && IsConnectionError(e))
        {
            // The read loop meets the lost upstream and fails over.
        }
        finally
        {
            _upstreamWrites.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        Stop();
        Stream? upstream;
        await _upstreamWrites.WaitAsync();
        try
        {
            (upstream, _upstream) = (_upstream, null);
        }
        finally
        {
            _upstreamWrites.Release();
        }

        if (upstream is not null)
        {
            await upstream.DisposeAsync();
        }

        _fromClient.Reset();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Stop();
            _upstream?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static bool IsConnectionError(Exception e) => e is IOException or SocketException or ObjectDisposedException;

    private static ushort CloseCode(ReadOnlyMemory<byte> payload) =>
        payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload.Span) : (ushort)1005;

    private void Stop()
    {
        _stop.Cancel();
        _toClient.Writer.TryComplete();
    }

    private MessageRule? FindRule(RuleDirections direction, MessageAssembler message)
    {
        if (_options.Rules.Count == 0 || message.Opcode != Opcode.Text)
        {
            return null;
        }

        string? text = null;
        foreach (var rule in _options.Rules)
        {
            if ((rule.Directions & direction) != 0 && rule.Match.IsMatch(message, ref text))
            {
                _events.RuleApplied(rule);
                return rule;
            }
        }

        return null;
    }

    private static byte[] TextFrame(string text, bool mask) => FrameWriter.Message(Opcode.Text, Encoding.UTF8.GetBytes(text), mask);

    private async ValueTask OnClientMessageAsync(CancellationToken cancellationToken)
    {
        switch (FindRule(RuleDirections.ToUpstream, _fromClient))
        {
            case null:
                await SendUpstreamAsync(_fromClient.Raw, flush: false, cancellationToken);
                if (_failover?.ReplayFirstMessage == true)
                {
                    _opening ??= _fromClient.Raw.ToArray();
                }

                break;
            case { Action: RuleAction.Reply } rule:
                await ToClientAsync(rule.ReplyToClient, cancellationToken);
                break;
            case { Action: RuleAction.Rewrite } rule:
                await SendUpstreamAsync(TextFrame(rule.Rewritten(Encoding.UTF8.GetString(_fromClient.Payload.Span)), mask: true), flush: false, cancellationToken);
                break;
            case { Action: RuleAction.Close } rule:
                _ = _tunnel.CloseAsync(rule.CloseCode, rule.CloseReason);
                break;
        }
    }

    private async ValueTask OnClientControlAsync(CancellationToken cancellationToken)
    {
        if (_fromClient.Opcode == Opcode.Close)
        {
            _closing = true;
        }

        await _upstreamWrites.WaitAsync(cancellationToken);
        try
        {
            if (await TryWriteUpstreamAsync(_fromClient.Raw, flush: false, cancellationToken))
            {
                return;
            }

            // Nobody upstream to answer: a ping is answered here, a close too, and then the connection is over.
            if (_fromClient.Opcode == Opcode.Ping)
            {
                await ToClientAsync(FrameWriter.Message(Opcode.Pong, _fromClient.Payload.Span, mask: false), cancellationToken);
            }
            else if (_fromClient.Opcode == Opcode.Close && !_closedInGap)
            {
                _closedInGap = true;
                await ToClientAsync(FrameWriter.Message(Opcode.Close, _fromClient.Payload.Span, mask: false), cancellationToken);
                Stop();
            }
        }
        finally
        {
            _upstreamWrites.Release();
        }
    }

    /// <summary>A piece of a client message too big to hold: it goes to the upstream it started on, or nowhere.</summary>
    private async ValueTask OnClientPassthroughAsync(CancellationToken cancellationToken)
    {
        var ends = _fromClient.EndsMessage || _fromClient.IsBroken;
        await _upstreamWrites.WaitAsync(cancellationToken);
        try
        {
            if (!_passingThrough)
            {
                _passingThrough = true;
                _passthroughGeneration = _generation;
            }

            if (_passthroughGeneration == _generation && await TryWriteUpstreamAsync(_fromClient.Raw, flush: false, cancellationToken))
            {
                return;
            }

            // Part of it may have reached an upstream that is gone; the rest reaches none, never the next one.
            if (_passthroughGeneration >= 0)
            {
                _passthroughGeneration = -1;
                _events.Dropped();
            }
        }
        finally
        {
            _passingThrough = !ends;
            _upstreamWrites.Release();
        }
    }

    /// <summary>A whole frame or message towards the upstream; while reconnecting it is held, or dropped when there is no room.</summary>
    private async ValueTask SendUpstreamAsync(ReadOnlyMemory<byte> frames, bool flush, CancellationToken cancellationToken)
    {
        await _upstreamWrites.WaitAsync(cancellationToken);
        try
        {
            // Not sent whole: held for the next upstream, which gets it once.
            if (await TryWriteUpstreamAsync(frames, flush, cancellationToken))
            {
                return;
            }

            var failover = _failover!;
            _held ??= new Queue<byte[]>();
            if (_held.Count >= failover.BufferMessages || _heldBytes + frames.Length > failover.BufferBytes)
            {
                _events.Dropped();
                if (failover.OnBufferFull == BufferFull.Close)
                {
                    _ = _tunnel.CloseAsync(1013, "upstream lost, buffer full");
                }

                return;
            }

            _held.Enqueue(frames.ToArray());
            _heldBytes += frames.Length;
            _events.Buffered();
        }
        finally
        {
            _upstreamWrites.Release();
        }
    }

    /// <summary>
    /// Under <see cref="_upstreamWrites"/>: writes to the current upstream. False when there is none (reconnecting)
    /// or it is lost on this write; without failover that is an <see cref="IOException"/>, as on any route.
    /// </summary>
    private async ValueTask<bool> TryWriteUpstreamAsync(ReadOnlyMemory<byte> bytes, bool flush, CancellationToken cancellationToken)
    {
        if (_upstream is { } upstream)
        {
            try
            {
                await upstream.WriteAsync(bytes, cancellationToken);
                if (flush)
                {
                    await upstream.FlushAsync(cancellationToken);
                }

                return true;
            }
            catch (Exception e) when (_failover is not null && IsConnectionError(e))
            {
                LoseUpstream(upstream);
            }
        }

        return _failover is null ? throw new IOException("the upstream connection is gone") : false;
    }

    /// <summary>Under <see cref="_upstreamWrites"/>: writes fail on this upstream, so nothing more goes to it; the read loop fails over.</summary>
    private void LoseUpstream(Stream upstream)
    {
        if (_upstream == upstream)
        {
            _upstream = null;
            upstream.Dispose(); // wakes the read loop if the connection still looks open to it
        }
    }

    private ValueTask ToClientAsync(byte[] frames, CancellationToken cancellationToken) =>
        ToClientAsync(new Outgoing(frames, frames.Length, Pooled: false), cancellationToken);

    private async ValueTask ToClientAsync(Outgoing frames, CancellationToken cancellationToken)
    {
        try
        {
            await _toClient.Writer.WriteAsync(frames, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // The client side is over (closed while reconnecting, or the tunnel ended).
        }
    }

    /// <summary>Reads the upstream until the connection is over; with failover, reads each new upstream in turn.</summary>
    private async Task PumpAsync(Stream upstream, ReadOnlyMemory<byte> early)
    {
        try
        {
            while (await ReadUpstreamAsync(upstream, early) is { } lost && await FailOverAsync(lost) is { } next)
            {
                (upstream, early) = (next.Stream, next.Early);
            }
        }
        catch (Exception)
        {
            // Stopped (the tunnel ended) or broken: either way the client side ends below, and the tunnel closes it.
        }
        finally
        {
            _toClient.Writer.TryComplete();
            _fromUpstream.Reset();
        }
    }

    /// <summary>Null once the connection ended as it should (or is not to be failed over); otherwise why it was lost.</summary>
    private async Task<string?> ReadUpstreamAsync(Stream upstream, ReadOnlyMemory<byte> early)
    {
        if (!early.IsEmpty && await OnUpstreamBytesAsync(early) is { } closedEarly)
        {
            return CanFailOver() ? closedEarly : null;
        }

        while (true)
        {
            // An idle connection waits without a buffer; one is borrowed once there is something to read.
            byte[]? buffer = null;
            try
            {
                int read;
                try
                {
                    _ = await upstream.ReadAsync(Memory<byte>.Empty, _stop.Token); // returns once bytes (or the end) are there
                    buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
                    read = await upstream.ReadAsync(buffer.AsMemory(0, ReadSize), _stop.Token);
                }
                catch (Exception e) when (IsConnectionError(e) && !_stop.IsCancellationRequested)
                {
                    return CanFailOver() ? $"connection error ({e.Message})" : null;
                }

                if (read == 0)
                {
                    return CanFailOver() ? "connection closed without a close frame" : null;
                }

                if (await OnUpstreamBytesAsync(buffer.AsMemory(0, read)) is { } closed)
                {
                    return CanFailOver() ? closed : null;
                }
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    private bool CanFailOver() =>
        _failover is not null && !_closing && !_upstreamClosed && !_fromUpstream.InPassthrough && !_fromUpstream.IsBroken && !_stop.IsCancellationRequested;

    /// <summary>What the upstream sent, on its way to the client; a reason when it closed with a code that fails over.</summary>
    private async ValueTask<string?> OnUpstreamBytesAsync(ReadOnlyMemory<byte> bytes)
    {
        var token = _stop.Token;
        var pos = 0;
        while (pos < bytes.Length)
        {
            var unit = _fromUpstream.Next(bytes[pos..], out var used);
            pos += used;
            switch (unit)
            {
                case UnitKind.Message:
                    await OnUpstreamMessageAsync(token);
                    _fromUpstream.ReturnBuffers();
                    break;
                case UnitKind.Control when _fromUpstream.Opcode == Opcode.Close:
                    var code = CloseCode(_fromUpstream.Payload);
                    if (_failover is { } failover && !_closing && failover.CloseCodes.Contains(code))
                    {
                        await AnswerCloseAsync(token);
                        return $"closed with {code}";
                    }

                    _upstreamClosed = true;
                    await ToClientAsync(_fromUpstream.Raw.ToArray(), token);
                    break;
                case UnitKind.Control or UnitKind.Passthrough:
                    await ToClientAsync(_fromUpstream.Raw.ToArray(), token);
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// Answers the upstream's close here, so it can finish its side (the client never sees it), and lets nothing
    /// more go to that upstream: what the client sends next waits for the next one.
    /// </summary>
    private async ValueTask AnswerCloseAsync(CancellationToken cancellationToken)
    {
        await _upstreamWrites.WaitAsync(cancellationToken);
        try
        {
            if (_upstream is { } upstream)
            {
                _upstream = null;
                try
                {
                    await upstream.WriteAsync(FrameWriter.Message(Opcode.Close, _fromUpstream.Payload.Span, mask: true), cancellationToken);
                    await upstream.FlushAsync(cancellationToken);
                }
                catch (Exception e) when (IsConnectionError(e))
                {
                    // Gone already.
                }

                await upstream.DisposeAsync();
            }
        }
        finally
        {
            _upstreamWrites.Release();
        }
    }

    private async ValueTask OnUpstreamMessageAsync(CancellationToken cancellationToken)
    {
        switch (FindRule(RuleDirections.ToClient, _fromUpstream))
        {
            case null:
                // The message's pooled array itself goes to the client, returned to the pool once read.
                var length = _fromUpstream.Raw.Length;
                await ToClientAsync(new Outgoing(_fromUpstream.TakeMessage(), length, Pooled: true), cancellationToken);
                break;
            case { Action: RuleAction.Reply } rule:
                await SendUpstreamAsync(FrameWriter.Message(Opcode.Text, rule.TextUtf8, mask: true), flush: true, cancellationToken);
                break;
            case { Action: RuleAction.Rewrite } rule:
                await ToClientAsync(TextFrame(rule.Rewritten(Encoding.UTF8.GetString(_fromUpstream.Payload.Span)), mask: false), cancellationToken);
                break;
            case { Action: RuleAction.Close } rule:
                _ = _tunnel.CloseAsync(rule.CloseCode, rule.CloseReason);
                break;
        }
    }

    /// <summary>
    /// Connects again with the route's retry policy and sends the new upstream the replayed opening message and the
    /// held ones, in order; null when the attempts ran out or the connection is closing (the client then gets 1014).
    /// </summary>
    private async Task<UpstreamConnection?> FailOverAsync(string why)
    {
        var failover = _failover!;
        await _upstreamWrites.WaitAsync(_stop.Token);
        try
        {
            if (_upstream is { } old)
            {
                _upstream = null;
                await old.DisposeAsync();
            }
        }
        finally
        {
            _upstreamWrites.Release();
        }

        _fromUpstream.Reset();
        _events.UpstreamLost();
        var lostAt = _time.GetTimestamp();
        _id ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var eventId = $"{_id}-{++_failovers}";
        if (failover.Notify)
        {
            await ToClientAsync(FailoverNotice.Lost(why, eventId), _stop.Token);
        }

        var delay = failover.InitialInterval;
        for (var attempt = 1; attempt <= failover.Attempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(delay, _time, _stop.Token);
                delay = TimeSpan.FromTicks((long)Math.Min(delay.Ticks * failover.Growth, TimeSpan.FromMinutes(1).Ticks));
            }

            if (_closing)
            {
                return null;
            }

            UpstreamConnection next;
            try
            {
                next = await _reconnect!(_stop.Token);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                continue; // the sidecar logged why; the next attempt may reach another endpoint
            }

            if (await TryResumeAsync(next, failover))
            {
                _events.Reconnected(_time.GetElapsedTime(lostAt));
                if (failover.Notify)
                {
                    await ToClientAsync(FailoverNotice.Reconnected(eventId), _stop.Token);
                }

                return next;
            }
        }

        _events.GaveUp();
        return null;
    }

    /// <summary>The replayed opening message and the held ones go to the new upstream before it is current.</summary>
    private async Task<bool> TryResumeAsync(UpstreamConnection next, FailoverOptions failover)
    {
        await _upstreamWrites.WaitAsync(_stop.Token);
        try
        {
            if (_closedInGap || _closing)
            {
                await next.Stream.DisposeAsync();
                return false;
            }

            if (_opening is not null)
            {
                await next.Stream.WriteAsync(_opening, _stop.Token);
            }

            while (_held is not null && _held.TryPeek(out var message))
            {
                await next.Stream.WriteAsync(message, _stop.Token);
                _held.Dequeue();
                _heldBytes -= message.Length;
            }

            await next.Stream.FlushAsync(_stop.Token);
            _upstream = next.Stream;
            _generation++;
            return true;
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            await next.Stream.DisposeAsync();
            return false;
        }
        finally
        {
            _upstreamWrites.Release();
        }
    }

    /// <summary>Frames for the client: an array of ours, or a pooled one to return once read.</summary>
    private readonly record struct Outgoing(byte[] Bytes, int Length, bool Pooled);
}
