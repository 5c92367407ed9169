
namespace K8sWsProxy.Operator.Injection;

/// <summary>
/// What the admission webhook writes into a pod: the sidecar's image, where it dials the operator, where its CA and
/// token come from, and whether it runs as a native sidecar (a restartable init container).
/// </summary>
public sealed record SidecarInjection
{
    /// <summary>Empty: injection is off, and the webhook lets every pod through unchanged.</summary>
    public string Image { get; init; } = "";

    /// <summary>The config channel the sidecars dial (wss://…/v1/channel).</summary>
    public string OperatorUrl { get; init; } = "";

    /// <summary>A ConfigMap in the pod's namespace whose ca.crt the operator's serving certificate chains to.</summary>
    public string CaConfigMap { get; init; } = "k8s-ws-proxy-ca";

    /// <summary>Null: ask the API server at start (native sidecars from Kubernetes 1.29).</summary>
    public bool? NativeSidecars { get; init; }

    /// <summary>Labels that put an injected pod under the operator's --sidecar-selector, so it gets its config.</summary>
    public IReadOnlyDictionary<string, string> SidecarLabels { get; init; } = new Dictionary<string, string> { ["k8swsproxy.io/sidecar"] = "true" };

    public bool Enabled => Image.Length > 0;
}
