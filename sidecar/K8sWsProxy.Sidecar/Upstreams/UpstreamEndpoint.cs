using System.Net.Security;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Upstreams;

/// <summary>One endpoint of a route as the proxy uses it: where to send the handshake and how many connections it holds.</summary>
internal sealed class UpstreamEndpoint
{
    private int _active;
    private EndpointFailure? _lastFailure;

    /// <param name="tls">The route's upstream TLS settings; each endpoint gets its own copy with its host as default server name.</param>
    public UpstreamEndpoint(EndpointConfig config, int index, SslClientAuthenticationOptions? tls)
    {
        Config = config;
        Index = index;
        Url = new Uri(config.Url);
        HttpUrl = ToHttpUrl(config.Url);
        HttpVersion = config.HttpVersion == "2" ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;
        if (Url.Scheme == "wss")
        {
            tls ??= new SslClientAuthenticationOptions();
            Tls = new SslClientAuthenticationOptions
            {
                TargetHost = tls.TargetHost ?? Url.IdnHost,
                ClientCertificateContext = tls.ClientCertificateContext,
                RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
                CertificateChainPolicy = tls.CertificateChainPolicy,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            };
        }
    }

    public EndpointConfig Config { get; }

    public int Index { get; }

    public Uri Url { get; }

    /// <summary>The http(s) form of the URL: the forwarder speaks HTTP, the Upgrade header makes it a WebSocket.</summary>
    public Uri HttpUrl { get; }

    public Version HttpVersion { get; }

    /// <summary>For wss:// endpoints: how the HTTP/1.1 data plane opens TLS to it.</summary>
    public SslClientAuthenticationOptions? Tls { get; }

    public int Weight => Config.Weight;

    public int ActiveConnections => Volatile.Read(ref _active);

    public void ConnectionOpened() => Interlocked.Increment(ref _active);

    public void ConnectionClosed() => Interlocked.Decrement(ref _active);

    /// <summary>The last time it refused a connection or failed the handshake (null: never): what health reports list.</summary>
    public EndpointFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <param name="at">A timestamp of the proxy's <see cref="TimeProvider"/>.</param>
    public void Failed(long at, string error) => Volatile.Write(ref _lastFailure, new EndpointFailure(at, error));

    public static Uri ToHttpUrl(string wsUrl) =>
        new UriBuilder(wsUrl) { Scheme = wsUrl.StartsWith("wss:", StringComparison.OrdinalIgnoreCase) ? "https" : "http" }.Uri;
}

/// <summary>A failed connect or handshake of an endpoint: when (a <see cref="TimeProvider"/> timestamp) and why.</summary>
internal sealed record EndpointFailure(long At, string Error);
