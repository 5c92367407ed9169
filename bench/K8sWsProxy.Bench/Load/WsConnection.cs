using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Load;

/// <summary>What a receive ended with.</summary>
internal enum Received
{
    Message,
    Close,
    Eof,
}

/// <summary>
/// A minimal WebSocket client on a raw socket: precomputed masked frames out, frame headers parsed in, payload skipped
/// (only its length is checked). Cheap enough that the load generator is not what is measured.
/// </summary>
internal sealed class WsConnection : IDisposable
{
    private readonly Socket socket;
    private readonly SslStream? tls;
    private readonly byte[] buffer;
    private int start;
    private int end;

    private WsConnection(Socket socket, SslStream? tls, byte[] buffer, int start, int end)
    {
        this.socket = socket;
        this.tls = tls;
        this.buffer = buffer;
        this.start = start;
        this.end = end;
    }

    /// <summary>Connects (from <paramref name="local"/> when given) and completes the upgrade, or throws.</summary>
    public static async Task<WsConnection> ConnectAsync(Target target, IPAddress? local, int bufferSize, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            if (local is not null)
            {
                // IP_BIND_ADDRESS_NO_PORT: pick the source port at connect time, per 4-tuple, so ports go further.
                socket.SetRawSocketOption(0, 24, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(local, 0));
            }

            await socket.ConnectAsync(target.EndPoint, cancel);
            if (target.Tls)
            {
                // The benchmark's own self-signed certificate: what is measured is the proxy, not the trust chain.
                tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, cancel);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await WriteAsync(socket, tls, WsFrame.HandshakeRequest(target.Host, target.Path, key), cancel);
            var buffer = new byte[Math.Max(bufferSize, 1024)];
            var filled = 0;
            while (true)
            {
                var n = await ReadAsync(socket, tls, buffer.AsMemory(filled), cancel);
                if (n == 0)
                {
                    throw new IOException("connection closed during the handshake");
                }

                filled += n;
                var headEnd = WsFrame.EndOfHead(buffer.AsSpan(0, filled));
                if (headEnd > 0)
                {
                    if (WsFrame.CheckHandshakeResponse(buffer.AsSpan(0, headEnd), key) is { } problem)
                    {
                        throw new IOException($"handshake refused: {problem}");
                    }

                    return new WsConnection(socket, tls, buffer, headEnd, filled);
                }

                if (filled == buffer.Length)
                {
                    throw new IOException("handshake response too large");
                }
            }
        }
        catch
        {
            tls?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The status code of the last close frame received (null: none yet, or one without a code).</summary>
    public int? CloseCode { get; private set; }

    /// <summary>Sends a whole precomputed frame.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancel) => WriteAsync(socket, tls, frame, cancel);

    /// <summary>Reads up to the end of the next data message (pings and pongs skipped); its payload length in <c>Length</c>.</summary>
    public ValueTask<(Received Kind, long Length)> ReceiveAsync(CancellationToken cancel) => ReceiveAsync(null, cancel);

    /// <summary>
    /// As <see cref="ReceiveAsync(CancellationToken)"/>, and copies the first bytes of the message's payload into
    /// <paramref name="head"/> (as many as fit; the rest is skipped): the soak reads a sequence number there.
    /// </summary>
    public async ValueTask<(Received Kind, long Length)> ReceiveAsync(byte[]? head, CancellationToken cancel)
    {
        long messageLength = 0;
        while (true)
        {
            FrameHeader header;
            while (!WsFrame.TryParseHeader(buffer.AsSpan(start, end - start), out header))
            {
                if (!await FillAsync(cancel))
                {
                    return (Received.Eof, messageLength);
                }
            }

            start += header.HeaderLength;
            var remaining = header.PayloadLength;
            if (header.Opcode == Opcode.Close && remaining >= 2)
            {
                while (end - start < 2)
                {
                    if (!await FillAsync(cancel))
                    {
                        return (Received.Eof, messageLength);
                    }
                }

                CloseCode = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start));
            }

            while (remaining > 0)
            {
                if (start == end && !await FillAsync(cancel))
                {
                    return (Received.Eof, messageLength);
                }

                var take = (int)Math.Min(remaining, end - start);
                var offset = messageLength + (header.PayloadLength - remaining);
                if (head is not null && offset < head.Length && header.Opcode is not (Opcode.Close or Opcode.Ping or Opcode.Pong))
                {
                    var copy = (int)Math.Min(take, head.Length - offset);
                    Buffer.BlockCopy(buffer, start, head, (int)offset, copy);
                }

                start += take;
                remaining -= take;
            }

            switch (header.Opcode)
            {
                case Opcode.Close:
                    return (Received.Close, 0);
                case Opcode.Ping or Opcode.Pong:
                    continue;
                default:
                    messageLength += header.PayloadLength;
                    if (header.Fin)
                    {
                        return (Received.Message, messageLength);
                    }

                    continue;
            }
        }
    }

    /// <summary>The close handshake: our close frame, theirs, then their end of the TCP connection (so TIME_WAIT is theirs).</summary>
    public async Task CloseAsync(byte[] closeFrame, CancellationToken cancel)
    {
        await SendAsync(closeFrame, cancel);
        while (true)
        {
            var (kind, _) = await ReceiveAsync(cancel);
            if (kind is Received.Close or Received.Eof)
            {
                break;
            }
        }

        // Wait for the server's FIN: whoever closes first keeps TIME_WAIT, and client ports are the scarce ones.
        start = end = 0;
        while (await FillAsync(cancel))
        {
            start = end = 0;
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancel)
    {
        if (start == end)
        {
            start = end = 0;
        }
        else if (end == buffer.Length)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        var n = await ReadAsync(socket, tls, buffer.AsMemory(end), cancel);
        end += n;
        return n > 0;
    }

    public void Dispose()
    {
        tls?.Dispose();
        socket.Dispose();
    }

    private static async ValueTask WriteAsync(Socket socket, SslStream? tls, ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        if (tls is not null)
        {
            await tls.WriteAsync(bytes, cancel);
            return;
        }

        while (!bytes.IsEmpty)
        {
            var n = await socket.SendAsync(bytes, SocketFlags.None, cancel);
            bytes = bytes[n..];
        }
    }

    private static ValueTask<int> ReadAsync(Socket socket, SslStream? tls, Memory<byte> into, CancellationToken cancel) =>
        tls is not null ? tls.ReadAsync(into, cancel) : socket.ReceiveAsync(into, SocketFlags.None, cancel);
}

/// <summary>Where a scenario connects: address, Host header and path; over TLS when <see cref="Tls"/>.</summary>
internal sealed record Target(IPEndPoint EndPoint, string Host, string Path, bool Tls = false)
{
    public static Target Loopback(int port, string path = "/echo") =>
        new(new IPEndPoint(IPAddress.Loopback, port), $"127.0.0.1:{port}", path);
}

/// <summary>Spreads client sockets over 127.0.0.1..127.0.0.N so 10,000 connections do not run out of source ports.</summary>
internal sealed class SourceAddresses(int count)
{
    private int next;

    public IPAddress Next()
    {
        var i = (int)((uint)Interlocked.Increment(ref next) % (uint)count);
        return new IPAddress(new byte[] { 127, 0, 0, (byte)(1 + i) });
    }
}
