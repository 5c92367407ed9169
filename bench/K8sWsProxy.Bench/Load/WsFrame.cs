using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Load;

/// <summary>A parsed RFC 6455 frame header.</summary>
internal readonly record struct FrameHeader(bool Fin, int Opcode, bool Masked, long PayloadLength, int HeaderLength);

/// <summary>The little of RFC 6455 the load generator needs: client frames out, frame headers in, the handshake (opcodes: the tunnel's <see cref="Opcode"/>).</summary>
internal static class WsFrame
{
    /// <summary>A whole client frame (FIN set unless <paramref name="fin"/> is false, masked with <paramref name="maskKey"/>), ready to send as it is.</summary>
    public static byte[] EncodeClient(int opcode, ReadOnlySpan<byte> payload, uint maskKey, bool fin = true)
    {
        var length = payload.Length;
        var headerLength = 2 + (length < 126 ? 0 : length <= ushort.MaxValue ? 2 : 8) + 4;
        var frame = new byte[headerLength + length];
        frame[0] = (byte)((fin ? 0x80 : 0) | opcode);
        int offset;
        if (length < 126)
        {
            frame[1] = (byte)(0x80 | length);
            offset = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
            offset = 4;
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)length);
            offset = 10;
        }

        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mask, maskKey);
        mask.CopyTo(frame.AsSpan(offset));
        offset += 4;
        for (var i = 0; i < length; i++)
        {
            frame[offset + i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return frame;
    }

    /// <summary>A close frame with a status code (client side, masked).</summary>
    public static byte[] EncodeClose(ushort code, uint maskKey)
    {
        Span<byte> payload = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return EncodeClient(Opcode.Close, payload, maskKey);
    }

    /// <summary>Parses a frame header from the start of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> buffer, out FrameHeader header)
    {
        header = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        var fin = (buffer[0] & 0x80) != 0;
        var opcode = (byte)(buffer[0] & 0x0F);
        var masked = (buffer[1] & 0x80) != 0;
        long length = buffer[1] & 0x7F;
        var headerLength = 2;
        if (length == 126)
        {
            if (buffer.Length < 4)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
            headerLength = 4;
        }
        else if (length == 127)
        {
            if (buffer.Length < 10)
            {
                return false;
            }

            length = (long)BinaryPrimitives.ReadUInt64BigEndian(buffer[2..]);
            headerLength = 10;
        }

        if (masked)
        {
            headerLength += 4;
        }

        if (buffer.Length < headerLength)
        {
            return false;
        }

        header = new FrameHeader(fin, opcode, masked, length, headerLength);
        return true;
    }

    /// <summary>The upgrade request a client sends.</summary>
    public static byte[] HandshakeRequest(string host, string path, string key) =>
        Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");

    /// <summary>The Sec-WebSocket-Accept value the server must answer for <paramref name="key"/>.</summary>
    public static string AcceptFor(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>
    /// Checks a complete response head (up to and including the blank line): status 101 and the right accept value.
    /// Returns null when it is a valid upgrade, else the reason.
    /// </summary>
    public static string? CheckHandshakeResponse(ReadOnlySpan<byte> head, string key)
    {
        var text = Encoding.ASCII.GetString(head);
        var lines = text.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return $"not an HTTP response: '{lines[0]}'";
        }

        if (status[1] != "101")
        {
            return $"status {status[1]}";
        }

        var expected = AcceptFor(key);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim() == expected ? null : "wrong Sec-WebSocket-Accept";
            }
        }

        return "no Sec-WebSocket-Accept";
    }

    /// <summary>The status code of an HTTP/1.x response that starts <paramref name="response"/>, or null when it does not start with one.</summary>
    public static int? StatusOf(ReadOnlySpan<byte> response)
    {
        if (response.Length < 12 || !response.StartsWith("HTTP/1."u8) || response[8] != ' ')
        {
            return null;
        }

        var code = response[9..12];
        foreach (var c in code)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return null;
            }
        }

        return ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
    }

    /// <summary>Index just past "\r\n\r\n", or -1.</summary>
    public static int EndOfHead(ReadOnlySpan<byte> buffer)
    {
        var i = buffer.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }
}
