namespace K8sWsProxy.Operator.Routes;

/// <summary>Downstream TLS: the certificate and key come from a kubernetes.io/tls Secret of the route's namespace.</summary>
public sealed record RouteTls
{
    public string SecretName { get; init; } = "";
}
