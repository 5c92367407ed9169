using System.Buffers.Binary;
using System.Security.Cryptography;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>A hand-rolled RFC 6455 peer: sees every frame on the wire, including the ones WebSocket hides.</summary>
internal static class RawFrames
{
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    public static byte[] Build(int opcode, ReadOnlySpan<byte> payload, bool mask, bool fin = true, int rsv = 0)
    {
        var extended = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + extended + (mask ? 4 : 0) + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | rsv | opcode);
        frame[1] = (byte)((mask ? 0x80 : 0) | (extended == 0 ? payload.Length : extended == 2 ? 126 : 127));
        if (extended == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else if (extended == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        var offset = 2 + extended;
        if (mask)
        {
            var key = frame.AsSpan(offset, 4);
            RandomNumberGenerator.Fill(key);
            offset += 4;
            for (var i = 0; i < payload.Length; i++)
            {
                frame[offset + i] = (byte)(payload[i] ^ key[i & 3]);
            }
        }
        else
        {
            payload.CopyTo(frame.AsSpan(offset));
        }

        return frame;
    }

    public static byte[] CloseFrame(ushort code, bool mask)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return Build(Close, payload, mask);
    }

    /// <summary>Reads one frame; null at end of stream.</summary>
    public static async Task<(int Opcode, byte[] Payload)?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[2];
        if (await stream.ReadAtLeastAsync(header, 2, throwOnEndOfStream: false, cancellationToken) < 2)
        {
            return null;
        }

        long length = header[1] & 0x7F;
        if (length >= 126)
        {
            var extended = new byte[length == 126 ? 2 : 8];
            await stream.ReadExactlyAsync(extended, cancellationToken);
            length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        var key = new byte[4];
        var masked = (header[1] & 0x80) != 0;
        if (masked)
        {
            await stream.ReadExactlyAsync(key, cancellationToken);
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }

        return (header[0] & 0x0F, payload);
    }

    public static ushort CloseCode(byte[] closePayload) => BinaryPrimitives.ReadUInt16BigEndian(closePayload);
}
