namespace K8sWsProxy.Operator.Reconcile;

/// <summary>
/// A key of the controller's work queue: what a worker does. Equal keys are the same work, which the queue merges
/// (records without fields are all equal).
/// </summary>
internal abstract record ControllerWork;

/// <summary>Compile the caches, offer each sidecar its document, then report every route.</summary>
internal sealed record CompileAndPush : ControllerWork
{
    public static readonly CompileAndPush Work = new();
}

/// <summary>Report the routes that select a pod (namespace/name): its sidecar answered, or its recorded answer changed.</summary>
internal sealed record ReportPod(string Pod) : ControllerWork;

/// <summary>Write one route's status (namespace/name).</summary>
internal sealed record ReportRoute(string Route) : ControllerWork;

/// <summary>Write a sidecar's answer onto its Pod (namespace/name).</summary>
internal sealed record RecordSidecar(string Pod) : ControllerWork;
