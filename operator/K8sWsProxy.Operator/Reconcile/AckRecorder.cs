using k8s;
using k8s.Autorest;
using k8s.Models;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Informers;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>Writes a connected sidecar's last answer onto its Pod (<see cref="SidecarAnnotations"/>), when it differs.</summary>
internal sealed class AckRecorder(IKubernetes client, ClusterCache cache, ChannelHub hub)
{
    public async Task RecordAsync(string podKey, CancellationToken cancellationToken)
    {
        if (hub.AnswerOf(podKey) is not { } answer || cache.Pods.Get(podKey) is not { } pod || SidecarAnnotations.Read(pod) == answer)
        {
            return;
        }

        var patch = KubernetesJson.Serialize(new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Annotations = new Dictionary<string, string>
                {
                    [SidecarAnnotations.Revision] = answer.Revision,
                    [SidecarAnnotations.Rejected] = answer.RejectReason!,
                },
            },
        });
        try
        {
            await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // The pod is gone: nothing left to record.
        }
    }
}
