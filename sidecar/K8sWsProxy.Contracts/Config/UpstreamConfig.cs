namespace K8sWsProxy.Contracts.Config;

public enum LoadBalancing
{
    RoundRobin,
    LeastConnections,
    Random,
    PowerOfTwoChoices,
}

public sealed record UpstreamConfig
{
    /// <summary>A handshake records the endpoints it already tried in 64 bits; the validator and the CRD hold routes to it.</summary>
    public const int MaxEndpoints = 64;

    public IReadOnlyList<EndpointConfig> Endpoints { get; init; } = [];

    public LoadBalancing LoadBalancing { get; init; } = LoadBalancing.RoundRobin;

    public SessionAffinityConfig? SessionAffinity { get; init; }

    public UpstreamTlsConfig? Tls { get; init; }

    public RetryConfig Retry { get; init; } = new();

    /// <summary>Null is <see cref="UpstreamLost.Close"/>. Both are left out of documents unless set, so routes without them read as before (and older sidecars take them).</summary>
    public UpstreamLost? OnLost { get; init; }

    /// <summary>Only with <see cref="UpstreamLost.Reconnect"/>; null takes the defaults.</summary>
    public FailoverConfig? Failover { get; init; }
}

public sealed record EndpointConfig
{
    /// <summary>ws:// or wss:// URL; its path is the upstream path the request path is appended to.</summary>
    public string Url { get; init; } = "";

    public int Weight { get; init; } = 1;

    /// <summary>"1.1" (default) or "2" (WebSockets over HTTP/2, RFC 8441, to this endpoint).</summary>
    public string HttpVersion { get; init; } = "1.1";
}

/// <summary>Requests with the same header or cookie value go to the same endpoint while it is up.</summary>
public sealed record SessionAffinityConfig
{
    public string? Header { get; init; }

    public string? Cookie { get; init; }
}

/// <summary>Connect retries across endpoints before the handshake is failed with 502, and of a failover.</summary>
public sealed record RetryConfig
{
    /// <summary>Total connect attempts, the first one included.</summary>
    public int Attempts { get; init; } = 3;

    public string InitialInterval { get; init; } = "100ms";

    public double Growth { get; init; } = 2;
}
