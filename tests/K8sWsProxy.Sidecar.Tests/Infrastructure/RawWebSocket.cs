using System.Security.Cryptography;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>
/// A WebSocket peer written by hand over a socket, for what a library hides: reading every frame the proxy sends
/// (its pings, its close), and staying silent.
/// </summary>
public sealed class RawWebSocket : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _pending;
    private int _pendingCount;

    private RawWebSocket(TcpClient client, byte[] leftover)
    {
        _client = client;
        _stream = client.GetStream();
        _pending = new byte[1 << 20];
        leftover.CopyTo(_pending, 0);
        _pendingCount = leftover.Length;
    }

    public static async Task<RawWebSocket> ConnectAsync(Uri uri)
    {
        var client = new TcpClient();
        using var cts = new CancellationTokenSource(Ws.Timeout);
        await client.ConnectAsync(uri.Host, uri.Port, cts.Token);
        var stream = client.GetStream();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"), cts.Token);
        var received = new List<byte>();
        var buffer = new byte[4096];
        int end;
        while ((end = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "closed during the handshake");
            received.AddRange(buffer.AsSpan(0, n));
        }

        var head = Encoding.ASCII.GetString(received.GetRange(0, end).ToArray());
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        return new RawWebSocket(client, [.. received.Skip(end + 4)]);
    }

    public sealed record Frame(int Opcode, bool Fin, byte[] Payload)
    {
        public int CloseCode => Payload.Length >= 2 ? (Payload[0] << 8) | Payload[1] : 0;
    }

    public async Task<Frame> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Ws.Timeout);
        await FillAsync(2, cts.Token);
        var length = (long)(_pending[1] & 0x7F);
        var header = 2;
        if (length == 126)
        {
            await FillAsync(4, cts.Token);
            length = (_pending[2] << 8) | _pending[3];
            header = 4;
        }
        else if (length == 127)
        {
            await FillAsync(10, cts.Token);
            length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_pending.AsSpan(2));
            header = 10;
        }

        Assert.Equal(0, _pending[1] & 0x80); // frames to a client are never masked
        await FillAsync(header + (int)length, cts.Token);
        var frame = new Frame(_pending[0] & 0x0F, (_pending[0] & 0x80) != 0, _pending.AsSpan(header, (int)length).ToArray());
        Consume(header + (int)length);
        return frame;
    }

    /// <summary>A masked frame, as clients send.</summary>
    /// <summary>Bytes as they are: a frame header alone, or garbage.</summary>
    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public async Task SendFrameAsync(int opcode, byte[] payload, bool fin = true)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await _stream.WriteAsync(frame.ToArray());
    }

    private async Task FillAsync(int count, CancellationToken cancellationToken)
    {
        while (_pendingCount < count)
        {
            var n = await _stream.ReadAsync(_pending.AsMemory(_pendingCount), cancellationToken);
            Assert.True(n > 0, "connection closed before a whole frame");
            _pendingCount += n;
        }
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(_pending, count, _pending, 0, _pendingCount - count);
        _pendingCount -= count;
    }

    private static int IndexOf(List<byte> data, ReadOnlySpan<byte> needle) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data).IndexOf(needle);

    public void Dispose() => _client.Dispose();
}
