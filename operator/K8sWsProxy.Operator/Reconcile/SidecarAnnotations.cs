using k8s.Models;
using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>
/// A sidecar's last answer, kept on its Pod: whichever replica holds the sidecar's channel records it, and the
/// leader (maybe another replica, maybe a restarted one) turns it into route status. Visible with kubectl.
/// </summary>
public static class SidecarAnnotations
{
    /// <summary>The revision the sidecar last answered.</summary>
    public const string Revision = "k8swsproxy.io/config-revision";

    /// <summary>Why it refused that revision; absent when it accepted it.</summary>
    public const string Rejected = "k8swsproxy.io/config-rejected";

    public static SidecarAck? Read(V1Pod pod)
    {
        var annotations = pod.Metadata.Annotations;
        if (annotations is null || !annotations.TryGetValue(Revision, out var revision) || string.IsNullOrEmpty(revision))
        {
            return null;
        }

        return new SidecarAck(revision, annotations.TryGetValue(Rejected, out var reason) ? reason : null);
    }

    /// <summary>Every sidecar's answer, by pod key ("namespace/name").</summary>
    public static IReadOnlyDictionary<string, SidecarAck> ReadAll(IEnumerable<V1Pod> pods)
    {
        var acks = new Dictionary<string, SidecarAck>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (Read(pod) is { } ack)
            {
                acks[PodRef.Of(pod).Key] = ack;
            }
        }

        return acks;
    }
}
