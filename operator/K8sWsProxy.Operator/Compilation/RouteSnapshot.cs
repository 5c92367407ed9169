using k8s.Models;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>
/// Everything the compiler reads, as the informers' caches hold it at one moment: every route, every pod that
/// carries a sidecar (the caller decides which do) and the Secrets of those namespaces.
/// </summary>
public sealed record RouteSnapshot(
    IReadOnlyList<WebSocketRoute> Routes,
    IReadOnlyList<V1Pod> SidecarPods,
    IReadOnlyList<V1Secret> Secrets);
