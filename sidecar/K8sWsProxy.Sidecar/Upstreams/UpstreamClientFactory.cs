using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Tls;

namespace K8sWsProxy.Sidecar.Upstreams;

/// <summary>
/// Builds the HTTP client a route's handshakes go through. We own it (rather than YARP's cluster client) so a
/// change of CA, client certificate or server name always takes effect: a route whose upstream TLS changed gets
/// a new client, and its new connections use it.
/// </summary>
internal static class UpstreamClientFactory
{
    public static HttpMessageInvoker Create(RouteConfig route, SslClientAuthenticationOptions? tls)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = Duration.Parse(route.Timeouts.Connect),
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
        };

        if (tls is not null)
        {
            handler.SslOptions = tls;
        }

        return new HttpMessageInvoker(new TunnelHandler(handler), disposeHandler: true);
    }

    /// <summary>The route's upstream TLS settings, shared by its HTTP client and its HTTP/1.1 endpoints.</summary>
    public static SslClientAuthenticationOptions? ClientTls(RouteConfig route, CertificateCache certificates, ILogger logger)
    {
        if (route.Upstream.Tls is not { } tls)
        {
            return null;
        }

        var options = new SslClientAuthenticationOptions { TargetHost = tls.ServerName };
        if (tls.ClientCertificatePem is not null && tls.ClientKeyPem is not null)
        {
            options.ClientCertificateContext = certificates.Get(tls.ClientCertificatePem, tls.ClientKeyPem).Context;
        }

        if (tls.InsecureSkipVerify)
        {
            Log.InsecureSkipVerify(logger, route.Key);
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            return options;
        }

        if (tls.CaPem is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(tls.CaPem);
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        return options;
    }
}
