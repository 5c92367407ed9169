using k8s.Models;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>A sidecar pod as the compiler's output names it.</summary>
public sealed record PodRef(string Namespace, string Name, string Uid)
{
    /// <summary>"namespace/name": how acks and documents are keyed.</summary>
    public string Key => $"{Namespace}/{Name}";

    public static PodRef Of(V1Pod pod) => new(pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name, pod.Metadata.Uid ?? "");
}
