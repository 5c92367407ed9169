using k8s;
using k8s.Models;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Events;

/// <summary>core/v1 Events on a route, as `kubectl describe wsr` lists them. Best effort: a failed event is logged, never retried.</summary>
internal sealed class EventRecorder(IKubernetes client, OperatorOptions options, TimeProvider time, ILogger<EventRecorder> logger)
{
    public const string Component = "k8s-ws-proxy-operator";

    public async Task RecordAsync(WebSocketRoute route, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ns = route.Namespace;
        var name = route.Metadata.Name;
        try
        {
            await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { GenerateName = $"{name}.", NamespaceProperty = ns },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = route.ApiVersion,
                    Kind = route.Kind,
                    Name = name,
                    NamespaceProperty = ns,
                    Uid = route.Metadata.Uid,
                    ResourceVersion = route.Metadata.ResourceVersion,
                },
                Type = type,
                Reason = reason,
                Message = message.Length > 1024 ? message[..1021] + "..." : message,
                Source = new V1EventSource { Component = Component },
                ReportingComponent = Component,
                ReportingInstance = options.Identity,
                FirstTimestamp = now,
                LastTimestamp = now,
                Count = 1,
            }, ns, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            Log.EventNotRecorded(logger, route.Key, reason, e.Message);
        }
    }
}
