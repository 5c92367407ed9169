using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>An upstream that answers WebSocket handshakes as told (a 101 by default) and can then vanish without a close frame.</summary>
public sealed class RawUpstream : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<Socket> _accepted = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _handshakeDelay;
    private readonly Func<string, string> _answer;

    /// <param name="handshakeDelay">How long the upstream thinks before it answers 101.</param>
    /// <param name="answer">The bytes it answers with, given the right Sec-WebSocket-Accept (default: a plain 101).</param>
    public RawUpstream(TimeSpan? handshakeDelay = null, Func<string, string>? answer = null)
    {
        _handshakeDelay = handshakeDelay ?? TimeSpan.Zero;
        _answer = answer ?? (accept => $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Resets every accepted connection: the TCP equivalent of a crashed upstream.</summary>
    public void DropAll()
    {
        while (_accepted.TryDequeue(out var socket))
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _accepted.Enqueue(socket);
            _ = HandshakeAsync(socket, _handshakeDelay, _answer);
        }
    }

    private static async Task HandshakeAsync(Socket socket, TimeSpan delay, Func<string, string> answer)
    {
        try
        {
            var buffer = new byte[8192];
            var received = 0;
            string head;
            while (!(head = Encoding.ASCII.GetString(buffer, 0, received)).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(received));
                if (n == 0)
                {
                    return;
                }

                received += n;
            }

            var key = head.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase)).Split(':', 2)[1].Trim();
            await Task.Delay(delay);
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            await socket.SendAsync(Encoding.Latin1.GetBytes(answer(accept)));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Dropped by the test.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
    }
}
