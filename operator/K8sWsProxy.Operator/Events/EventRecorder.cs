using k8s;
using k8s.Autorest;
using k8s.Models;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Events;

/// <summary>
/// core/v1 Events on a route, as `kubectl describe wsr` lists them, made the way client-go's recorder makes them: an
/// event like one already recorded (same object, type, reason and message) updates that one (its count and last
/// time) instead of adding another, and each object has a budget (<see cref="EventBudget"/>). Best effort: a failed
/// event is logged, never retried.
/// </summary>
internal sealed class EventRecorder(IKubernetes client, OperatorOptions options, TimeProvider time, ILogger<EventRecorder> logger)
{
    public const string Component = "k8s-ws-proxy-operator";

    private const int MaxRemembered = 4096;

    private readonly EventBudget _budget = new(time);
    private readonly Dictionary<(string Uid, string Type, string Reason, string Message), Recorded> _recorded = [];
    private readonly Queue<(string, string, string, string)> _order = new();

    public async Task RecordAsync(WebSocketRoute route, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var uid = route.Metadata.Uid ?? route.Key;
        if (!_budget.TryTake(uid))
        {
            Log.EventThrottled(logger, route.Key, reason);
            return;
        }

        message = message.Length > 1024 ? message[..1021] + "..." : message;
        var key = (uid, type, reason, message);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            if (Remembered(key) is { } earlier && await TryCountAgainAsync(earlier, now, cancellationToken) is { } counted)
            {
                Remember(key, counted);
                return;
            }

            var created = await client.CoreV1.CreateNamespacedEventAsync(New(route, type, reason, message, now), route.Namespace, cancellationToken: cancellationToken);
            Remember(key, new Recorded(created.Metadata.Name, route.Namespace, 1));
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            Log.EventNotRecorded(logger, route.Key, reason, e.Message);
        }
    }

    /// <summary>The event with its count one higher and its last time now; null when it is gone (expired, deleted).</summary>
    private async Task<Recorded?> TryCountAgainAsync(Recorded earlier, DateTime now, CancellationToken cancellationToken)
    {
        var count = earlier.Count + 1;
        var patch = $$"""{"count":{{count}},"lastTimestamp":"{{now:yyyy-MM-ddTHH:mm:ssZ}}"}""";
        try
        {
            await client.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), earlier.Name, earlier.Namespace, cancellationToken: cancellationToken);
            return earlier with { Count = count };
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Corev1Event New(WebSocketRoute route, string type, string reason, string message, DateTime now) => new()
    {
        Metadata = new V1ObjectMeta { GenerateName = $"{route.Metadata.Name}.", NamespaceProperty = route.Namespace },
        InvolvedObject = new V1ObjectReference
        {
            ApiVersion = route.ApiVersion,
            Kind = route.Kind,
            Name = route.Metadata.Name,
            NamespaceProperty = route.Namespace,
            Uid = route.Metadata.Uid,
            ResourceVersion = route.Metadata.ResourceVersion,
        },
        Type = type,
        Reason = reason,
        Message = message,
        Source = new V1EventSource { Component = Component },
        ReportingComponent = Component,
        ReportingInstance = options.Identity,
        FirstTimestamp = now,
        LastTimestamp = now,
        Count = 1,
    };

    private Recorded? Remembered((string, string, string, string) key)
    {
        lock (_recorded)
        {
            return _recorded.GetValueOrDefault(key);
        }
    }

    /// <summary>The newest <see cref="MaxRemembered"/> events are remembered, as client-go's LRU cache does.</summary>
    private void Remember((string, string, string, string) key, Recorded recorded)
    {
        lock (_recorded)
        {
            if (!_recorded.ContainsKey(key))
            {
                _order.Enqueue(key);
                while (_order.Count > MaxRemembered)
                {
                    _recorded.Remove(_order.Dequeue());
                }
            }

            _recorded[key] = recorded;
        }
    }

    private sealed record Recorded(string Name, string Namespace, int Count);
}
