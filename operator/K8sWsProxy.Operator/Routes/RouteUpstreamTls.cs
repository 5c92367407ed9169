namespace K8sWsProxy.Operator.Routes;

/// <summary>How the sidecar verifies the upstream and presents itself to it; Secrets of the route's namespace.</summary>
public sealed record RouteUpstreamTls
{
    /// <summary>A Secret whose <c>ca.crt</c> holds the trusted CAs; the system store when absent.</summary>
    public string? CaSecretName { get; init; }

    /// <summary>A kubernetes.io/tls Secret: the client certificate the sidecar presents.</summary>
    public string? ClientCertSecretName { get; init; }

    public string? ServerName { get; init; }

    public bool InsecureSkipVerify { get; init; }
}
