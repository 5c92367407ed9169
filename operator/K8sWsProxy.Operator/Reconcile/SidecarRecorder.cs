using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Informers;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>Writes a connected sidecar's last answer onto its Pod (<see cref="SidecarAnnotations"/>), when it differs.</summary>
internal sealed class SidecarRecorder(IKubernetes client, ClusterCache cache, ChannelHub hub)
{
    public async Task RecordAsync(string podKey, CancellationToken cancellationToken)
    {
        if (hub.ReportOf(podKey) is not { } answer || cache.Pods.Get(podKey) is not { } pod)
        {
            return;
        }

        var annotations = SidecarAnnotations.Of(answer);
        var current = pod.Metadata.Annotations ?? new Dictionary<string, string>();
        if (annotations.All(a => a.Value is null ? !current.ContainsKey(a.Key) : current.TryGetValue(a.Key, out var v) && v == a.Value))
        {
            return;
        }

        var patch = JsonSerializer.Serialize(new { metadata = new { annotations } });
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
