using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Routes;

/// <summary><see cref="UpstreamConfig"/> with its TLS material named by Secrets instead of inlined.</summary>
public sealed record RouteUpstream
{
    public IReadOnlyList<EndpointConfig> Endpoints { get; init; } = [];

    public LoadBalancing LoadBalancing { get; init; } = LoadBalancing.RoundRobin;

    public SessionAffinityConfig? SessionAffinity { get; init; }

    public RouteUpstreamTls? Tls { get; init; }

    public RetryConfig Retry { get; init; } = new();

    public UpstreamLost? OnLost { get; init; }

    public FailoverConfig? Failover { get; init; }
}
