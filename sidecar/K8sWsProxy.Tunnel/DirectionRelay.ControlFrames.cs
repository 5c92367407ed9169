using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// Control frames in one direction: the peers' pings, pongs and closes as they pass (the answers to our own
/// keep-alive pings are dropped, a close is recorded before it is forwarded), and the frames the proxy injects
/// between frames (keep-alive pings, closes).
/// </summary>
internal sealed partial class DirectionRelay
{
    /// <summary>Sends a close frame at the next frame boundary unless one already went this way.</summary>
    public async Task InjectCloseAsync(ushort code, string reason, CancellationToken abort)
    {
        _pendingCloseCode = code;
        Volatile.Write(ref _pendingCloseReason, reason);
        await _gate.WaitAsync(abort);
        try
        {
            if (!_closeSent)
            {
                await SendCloseAsync(code, reason, abort);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts a keep-alive ping unless the previous one is still waiting for a frame boundary.</summary>
    public void StartPing(CancellationToken abort)
    {
        if (Interlocked.Exchange(ref _pinging, 1) == 0)
        {
            _ = PingAsync(abort);
        }
    }

    private async Task PingAsync(CancellationToken abort)
    {
        try
        {
            await _gate.WaitAsync(abort);
            try
            {
                if (!_closeSent)
                {
                    var length = FrameWriter.Ping(Inject, _pingPayload, MasksFrames);
                    await _receiver.WriteAsync(Inject.AsMemory(0, length), abort);
                    await _receiver.FlushAsync(abort);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone or the tunnel ended; its read side reports that.
        }
        finally
        {
            Volatile.Write(ref _pinging, 0);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask OnControlFrameAsync(CancellationToken cancellationToken)
    {
        _state = State.Header;
        var opcode = Control[0] & 0x0F;
        if (opcode == Opcode.Pong && IsProxyPong())
        {
            return; // the answer to our own keep-alive ping: the other peer never asked for it
        }

        if (opcode == Opcode.Close)
        {
            // Recorded before forwarding: the answer to this close may come back before the write returns.
            ReadClose(out var code, out var reason);
            _tunnel.RecordPeerClose(this, code, reason);
        }

        if (!_closeSent)
        {
            if (opcode == Opcode.Close)
            {
                _closeSent = true;
            }

            await _receiver.WriteAsync(Control.AsMemory(0, _controlLength), cancellationToken);
            if (opcode == Opcode.Close)
            {
                await _receiver.FlushAsync(cancellationToken);
            }
        }

        if (opcode == Opcode.Close)
        {
            _senderSentClose = true;
            _tunnel.OnPeerClosed();
        }
    }

    private bool IsProxyPong()
    {
        var payloadLength = _controlLength - _controlHeaderLength;
        if (payloadLength != _pingPayload.Length)
        {
            return false;
        }

        Span<byte> payload = stackalloc byte[FrameWriter.MaxControlPayload];
        return UnmaskedControlPayload(payload).SequenceEqual(_pingPayload);
    }

    private void ReadClose(out int? code, out string? reason)
    {
        Span<byte> scratch = stackalloc byte[FrameWriter.MaxControlPayload];
        var payload = UnmaskedControlPayload(scratch);
        code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : null;
        reason = payload.Length > 2 ? Encoding.UTF8.GetString(payload[2..]) : null;
    }

    private ReadOnlySpan<byte> UnmaskedControlPayload(Span<byte> scratch)
    {
        var payload = scratch[..(_controlLength - _controlHeaderLength)];
        Control.AsSpan(_controlHeaderLength, payload.Length).CopyTo(payload);
        if (MasksFrames)
        {
            FrameWriter.ApplyMask(payload, Control.AsSpan(_controlHeaderLength - 4, 4));
        }

        return payload;
    }

    /// <summary>Writes a close frame while holding the gate at a frame boundary; later frames this way are dropped.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCloseAsync(ushort code, string reason, CancellationToken cancellationToken)
    {
        _closeSent = true;
        var length = FrameWriter.Close(Inject, code, reason, MasksFrames);
        await _receiver.WriteAsync(Inject.AsMemory(0, length), cancellationToken);
        await _receiver.FlushAsync(cancellationToken);
    }
}
