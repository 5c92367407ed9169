namespace K8sWsProxy.Bench.Cluster;

/// <summary>Where a cluster's sidecar takes WebSocket connections (plain and TLS) and answers /readyz, /v1/config and /metrics.</summary>
internal sealed record SidecarAddresses(Uri Plain, Uri Tls, Uri Admin);
