using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace K8sWsProxy.EchoServer;

/// <summary>
/// The demo and test upstream: a WebSocket echo on every path but "/", which serves a page with a WebSocket client.
/// Text commands let tests see what the proxy sent: "__info" answers with the name, path, query, headers and
/// subprotocol the server saw; "__close CODE REASON" closes with that code; "__abort" drops the connection without one.
/// </summary>
public static class EchoServerApp
{
    public static WebApplication Build(EchoServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(options.Listen, l =>
            {
                l.Protocols = options.Certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (options.Certificate is { } certificate)
                {
                    l.UseHttps(https =>
                    {
                        https.ServerCertificate = certificate;
                        if (options.ClientCertificateAuthority is { } ca)
                        {
                            https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                            https.ClientCertificateValidation = (cert, chain, _) => cert.Issuer == ca.Subject;
                        }
                    });
                }
            });
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Run(context => HandleAsync(context, options));
        return app;
    }

    private static async Task HandleAsync(HttpContext context, EchoServerOptions options)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (context.Request.Path == "/")
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(DemoPage.Html);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket requests only\n");
            return;
        }

        await Task.Delay(options.AcceptDelay);
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var subprotocol = requested.FirstOrDefault(p => options.Subprotocols.Count == 0 || options.Subprotocols.Contains(p));
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            DangerousEnableCompression = true,
            KeepAliveInterval = TimeSpan.Zero,
        });
        await EchoAsync(socket, context, options, subprotocol);
    }

    private static async Task EchoAsync(WebSocket socket, HttpContext context, EchoServerOptions options, string? subprotocol)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    options.OnClose?.Invoke(result.CloseStatus, result.CloseStatusDescription);
                    await socket.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, CancellationToken.None);
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Text && result.EndOfMessage && result.Count < 200)
                {
                    var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
                    if (text == "__info")
                    {
                        await socket.SendAsync(Info(context, options, subprotocol), WebSocketMessageType.Text, true, CancellationToken.None);
                        continue;
                    }

                    if (text == "__abort")
                    {
                        context.Abort(); // the connection ends without a close frame, as when a pod dies
                        return;
                    }

                    if (text.StartsWith("__close ", StringComparison.Ordinal))
                    {
                        var parts = text.Split(' ', 3);
                        await socket.CloseAsync((WebSocketCloseStatus)int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts.Length > 2 ? parts[2] : null, CancellationToken.None);
                        return;
                    }
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            // The peer went away; nothing to echo to.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Info(HttpContext context, EchoServerOptions options, string? subprotocol) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["name"] = options.Name,
            ["path"] = context.Request.Path.Value,
            ["query"] = context.Request.QueryString.Value,
            ["subprotocol"] = subprotocol,
            ["protocol"] = context.Request.Protocol,
            ["clientCertificate"] = context.Connection.ClientCertificate?.Subject,
            ["headers"] = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
        });
}

public sealed record EchoServerOptions
{
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8080);

    /// <summary>Reported by "__info", so tests can tell endpoints apart.</summary>
    public string Name { get; init; } = "echo";

    /// <summary>Subprotocols the server agrees to; empty: the first one the client asks for.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>Called with the close status and reason of every close frame a client sends.</summary>
    public Action<WebSocketCloseStatus?, string?>? OnClose { get; init; }

    /// <summary>How long the server thinks before it accepts a WebSocket (tests of a slow upstream).</summary>
    public TimeSpan AcceptDelay { get; init; }

    /// <summary>When set, clients must present a certificate issued by this CA (mutual TLS).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificateAuthority { get; init; }
}
