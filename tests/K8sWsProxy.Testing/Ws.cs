using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace K8sWsProxy.Testing;

/// <summary>Client-side helpers over System.Net.WebSockets, each bounded by a timeout.</summary>
public static class Ws
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<ClientWebSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(uri, invoker, cts.Token);
        return socket;
    }

    /// <summary>The status the server answered a refused handshake with.</summary>
    public static async Task<HttpStatusCode> RefusedStatusAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await socket.ConnectAsync(uri, cts.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        throw new InvalidOperationException($"the handshake with {uri} was accepted, not refused");
    }

    /// <summary>The "__info" name of the echo server behind <paramref name="uri"/>, or null when the handshake is refused.</summary>
    public static async Task<string?> RefusedOrNameAsync(Uri uri)
    {
        try
        {
            using var socket = await ConnectAsync(uri);
            await socket.SendTextAsync("__info");
            using var info = System.Text.Json.JsonDocument.Parse(await socket.ReceiveTextAsync());
            return info.RootElement.GetProperty("name").GetString();
        }
        catch (WebSocketException)
        {
            return null;
        }
    }

    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static async Task<string> ReceiveTextAsync(this WebSocket socket)
    {
        var (type, data) = await socket.ReceiveMessageAsync();
        return type == WebSocketMessageType.Text ? Encoding.UTF8.GetString(data) : throw new InvalidDataException($"a {type} message came where a text message was expected");
    }

    /// <summary>One whole message, reassembled from its fragments.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Reads until the peer's close frame arrives and returns its status and reason.</summary>
    public static async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(this WebSocket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (result.CloseStatus, result.CloseStatusDescription);
            }
        }
    }
}
