using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// Serves one connection of the TLS listener: the handshake with the certificate of the active document that the
/// client's SNI names (rotation is a reference swap, never a listener restart), then HTTP/1.1 on our own data plane,
/// or, when the client chose h2 by ALPN, the connection goes to Kestrel (<see cref="Http2Handoff"/>).
/// </summary>
internal sealed class TlsFront(ConfigApplier configs, Http1Proxy proxy, Http2Handoff? http2, PendingHandshakes pending, TimeProvider time, ILogger<TlsFront> logger)
{
    private readonly List<SslApplicationProtocol> _protocols = http2 is null ? [SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    public async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var local = socket.LocalEndPoint as IPEndPoint;
        var tls = new SslStream(new SocketStream(socket));
        // The same bound as a plain request head: a client that stalls in the handshake does not keep a slot.
        using (pending.Begin())
        using (var timeout = new CancellationTokenSource(Http1Proxy.HeadTimeout(), time))
        {
            try
            {
                await tls.AuthenticateAsServerAsync(SelectAsync, null, timeout.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException)
            {
                await tls.DisposeAsync();
                return;
            }
        }

        if (http2 is not null && tls.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2)
        {
            await using (tls)
            {
                await http2.ServeAsync(tls, local, remote);
            }

            return;
        }

        // The proxy disposes it when the connection is over.
        await proxy.ServeAsync(tls, remote?.Address ?? IPAddress.None, "https");
    }

    private ValueTask<SslServerAuthenticationOptions> SelectAsync(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
    {
        var entry = configs.Current.Certificates.Select(hello.ServerName);
        if (entry is null)
        {
            Log.NoCertificate(logger, hello.ServerName);
            throw new AuthenticationException($"no certificate for '{hello.ServerName}'");
        }

        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = entry.Context,
            EnabledSslProtocols = entry.Protocols,
            ApplicationProtocols = _protocols,
        });
    }
}
