using System.Net.WebSockets;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>Message-level helpers over a real <see cref="WebSocket"/>.</summary>
internal static class WebSocketPeer
{
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(this WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
            if (result.MessageType == WebSocketMessageType.Close || result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Receives until a close frame arrives (skipping data), answers it, and returns what the peer was told.</summary>
    public static async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(this WebSocket socket)
    {
        for (var i = 0; i < 1000; i++)
        {
            var (type, _) = await socket.ReceiveMessageAsync();
            if (type == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    try
                    {
                        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
                        await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, timeout.Token);
                    }
                    catch (Exception ex) when (ex is WebSocketException or IOException)
                    {
                        // The proxy may already have cut the connection; what the peer was told is what matters.
                    }
                }

                return (socket.CloseStatus, socket.CloseStatusDescription);
            }
        }

        throw new InvalidOperationException("no close frame within 1000 messages");
    }

    public static async Task SendMessageAsync(this WebSocket socket, WebSocketMessageType type, byte[] data)
    {
        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
        await socket.SendAsync(data, type, endOfMessage: true, timeout.Token);
    }
}
