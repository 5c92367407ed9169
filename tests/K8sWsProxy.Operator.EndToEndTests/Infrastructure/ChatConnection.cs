using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>
/// A client of the example route: wss://chat.example.com/ws with x-region: eu-west, sent to one sidecar's TLS
/// listener (SNI chat.example.com), remembering the certificate the sidecar presented.
/// </summary>
public sealed class ChatConnection : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    private ChatConnection(HttpMessageInvoker invoker, ClientWebSocket socket, X509Certificate2 certificate)
    {
        _invoker = invoker;
        Socket = socket;
        Certificate = certificate;
    }

    public ClientWebSocket Socket { get; }

    public X509Certificate2 Certificate { get; }

    public static async Task<ChatConnection> OpenAsync(SidecarUnderTest sidecar, string path = "/ws")
    {
        X509Certificate2? seen = null;
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(sidecar.Ip, sidecar.TlsPort, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return true;
                },
            },
        });
        try
        {
            var socket = await Ws.ConnectAsync(new Uri($"wss://chat.example.com:{sidecar.TlsPort}{path}"), o => o.SetRequestHeader("x-region", "eu-west"), invoker);
            return new ChatConnection(invoker, socket, seen!);
        }
        catch
        {
            invoker.Dispose();
            throw;
        }
    }

    /// <summary>The name of the echo server behind this connection ("a" or "b").</summary>
    public async Task<string> UpstreamAsync()
    {
        await Socket.SendTextAsync("__info");
        using var info = System.Text.Json.JsonDocument.Parse(await Socket.ReceiveTextAsync());
        return info.RootElement.GetProperty("name").GetString()!;
    }

    public void Dispose()
    {
        Socket.Dispose();
        _invoker.Dispose();
    }
}
