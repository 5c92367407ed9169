using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Unicode;

namespace K8sWsProxy.Tunnel;

/// <summary>Encodes the frames the proxy itself sends (close, ping, a message rule's text), masked when they go to the upstream.</summary>
internal static class FrameWriter
{
    public const int MaxControlPayload = 125;
    public const int MaxControlFrameLength = 2 + 4 + MaxControlPayload;

    public static int Close(Span<byte> frame, ushort code, string reason, bool mask)
    {
        var payload = frame[PayloadOffset(mask)..];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        // A reason too long for a control frame is cut at a whole character.
        Utf8.FromUtf16(reason, payload.Slice(2, MaxControlPayload - 2), out _, out var written);
        return Finish(frame, Opcode.Close, 2 + written, mask);
    }

    public static int Ping(Span<byte> frame, ReadOnlySpan<byte> payload, bool mask)
    {
        payload.CopyTo(frame[PayloadOffset(mask)..]);
        return Finish(frame, Opcode.Ping, payload.Length, mask);
    }

    /// <summary>A whole message in one frame.</summary>
    public static byte[] Message(int opcode, ReadOnlySpan<byte> payload, bool mask)
    {
        var lengthBytes = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var headerLength = 2 + lengthBytes + (mask ? 4 : 0);
        var frame = new byte[headerLength + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        frame[1] = (byte)((mask ? 0x80 : 0) | (lengthBytes == 0 ? payload.Length : lengthBytes == 2 ? 126 : 127));
        if (lengthBytes == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else if (lengthBytes == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        payload.CopyTo(frame.AsSpan(headerLength));
        if (mask)
        {
            var key = frame.AsSpan(headerLength - 4, 4);
            RandomNumberGenerator.Fill(key);
            ApplyMask(frame.AsSpan(headerLength), key);
        }

        return frame;
    }

    /// <summary>XORs <paramref name="payload"/> with the 4-byte mask key (masking and unmasking are the same).</summary>
    public static void ApplyMask(Span<byte> payload, ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] ^= key[i & 3];
        }
    }

    private static int PayloadOffset(bool mask) => mask ? 6 : 2;

    private static int Finish(Span<byte> frame, int opcode, int payloadLength, bool mask)
    {
        frame[0] = (byte)(0x80 | opcode);
        frame[1] = (byte)((mask ? 0x80 : 0) | payloadLength);
        if (!mask)
        {
            return 2 + payloadLength;
        }

        var key = frame.Slice(2, 4);
        RandomNumberGenerator.Fill(key);
        ApplyMask(frame.Slice(6, payloadLength), key);
        return 6 + payloadLength;
    }
}
