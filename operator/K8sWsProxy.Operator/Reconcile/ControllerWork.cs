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

/// <summary>Report every route: something changed that the compiler does not read (a sidecar answered, a status write).</summary>
internal sealed record ReportAll : ControllerWork
{
    public static readonly ReportAll Work = new();
}

/// <summary>Write one route's status (namespace/name).</summary>
internal sealed record ReportRoute(string Route) : ControllerWork;

/// <summary>Write a sidecar's answer onto its Pod (namespace/name).</summary>
internal sealed record RecordAck(string Pod) : ControllerWork;
