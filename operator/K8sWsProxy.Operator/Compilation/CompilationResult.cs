using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>The compiler's output: what each sidecar must serve and what each route's status must say.</summary>
/// <param name="Documents">One per sidecar pod, ordered by pod key; a pod no route selects gets an empty document.</param>
/// <param name="Verdicts">One per route, ordered by route key.</param>
public sealed record CompilationResult(IReadOnlyList<SidecarDocument> Documents, IReadOnlyList<RouteVerdict> Verdicts);

/// <summary>The document one sidecar pod must serve, its revision filled in.</summary>
/// <param name="Routes">Its revision and each route's: what the sidecar serves once it acks the document.</param>
public sealed record SidecarDocument(PodRef Pod, SidecarConfigDocument Document, DocumentRoutes Routes);
