using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Upstreams;

/// <summary>One endpoint of a route as the proxy uses it: where to send the handshake and how many connections it holds.</summary>
internal sealed class UpstreamEndpoint(EndpointConfig config, int index)
{
    private int _active;

    public EndpointConfig Config { get; } = config;

    public int Index { get; } = index;

    public Uri Url { get; } = new(config.Url);

    /// <summary>The http(s) form of the URL: the forwarder speaks HTTP, the Upgrade header makes it a WebSocket.</summary>
    public Uri HttpUrl { get; } = ToHttpUrl(config.Url);

    public Version HttpVersion { get; } = config.HttpVersion == "2" ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;

    public int Weight => Config.Weight;

    public int ActiveConnections => Volatile.Read(ref _active);

    public void ConnectionOpened() => Interlocked.Increment(ref _active);

    public void ConnectionClosed() => Interlocked.Decrement(ref _active);

    public static Uri ToHttpUrl(string wsUrl) =>
        new UriBuilder(wsUrl) { Scheme = wsUrl.StartsWith("wss:", StringComparison.OrdinalIgnoreCase) ? "https" : "http" }.Uri;
}
