using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Compilation;
using K8sWsProxy.Operator.Events;
using K8sWsProxy.Operator.Informers;
using K8sWsProxy.Operator.Leadership;
using K8sWsProxy.Operator.Reconcile;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Status;

/// <summary>
/// Report: a route's status from its latest verdict and the sidecars' answers, written through the /status
/// subresource by the leader only, and only when it differs from what the route already says (or what this
/// replica last wrote, while the cache catches up). A change of the Ready reason is also an Event.
/// </summary>
internal sealed class StatusWriter(
    IKubernetes client,
    ClusterCache cache,
    CompiledState state,
    ChannelHub hub,
    LeaderElection leader,
    EventRecorder events,
    TimeProvider time,
    ILogger<StatusWriter> logger)
{
    private readonly ConcurrentDictionary<string, WebSocketRouteStatus> _written = new(StringComparer.Ordinal);

    /// <summary>Forget what was written: on taking the lead (another replica may have written since) and on resync.</summary>
    public void Forget() => _written.Clear();

    public async Task WriteAsync(string routeKey, CancellationToken cancellationToken)
    {
        if (!leader.IsLeader || cache.Routes.Get(routeKey) is not { } route || state.Verdict(routeKey) is not { } verdict)
        {
            return;
        }

        var uid = route.Metadata.Uid ?? "";
        var written = _written.GetValueOrDefault(uid);
        var previous = written ?? route.Status;
        var answers = new Dictionary<string, SidecarReport>(StringComparer.Ordinal);
        foreach (var pod in verdict.Sidecars)
        {
            if (Report(pod.Key) is { } answer)
            {
                answers[pod.Key] = answer;
            }
        }

        var status = RouteStatusCalculator.Compute(route, verdict, answers, previous, time.GetUtcNow().UtcDateTime);
        if (status.Equals(route.Status) || status.Equals(written))
        {
            return;
        }

        var patch = $$"""{"status":{{KubernetesJson.Serialize(status)}}}""";
        try
        {
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                new V1Patch(patch, V1Patch.PatchType.MergePatch),
                WebSocketRoute.Group, WebSocketRoute.Version, route.Namespace, WebSocketRoute.Plural, route.Metadata.Name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return;
        }

        _written[uid] = status;
        Log.StatusWritten(logger, route.Key, status.Sidecars.Summary, Condition(status, RouteReasons.ReadyType)?.Reason ?? "");
        await RecordTransitionAsync(route, previous, status, cancellationToken);
    }

    /// <summary>
    /// What the Pod says (any replica may hold a sidecar's channel), overlaid with what this replica has heard since,
    /// which reaches the Pod only after a write and a watch event: each part the sidecar reported here replaces the
    /// Pod's.
    /// </summary>
    private SidecarReport? Report(string podKey)
    {
        var recorded = cache.Pods.Get(podKey) is { } pod ? SidecarAnnotations.Read(pod) : null;
        if (hub.ReportOf(podKey) is not { } heard)
        {
            return recorded;
        }

        return recorded is null ? heard : new SidecarReport(
            heard.Applied ?? recorded.Applied,
            heard.Applied is null && heard.Refused is null ? recorded.Refused : heard.Refused,
            heard.Applied is null && heard.Refused is null ? recorded.RefusedBecause : heard.RefusedBecause,
            heard.Failing ?? recorded.Failing);
    }

    /// <summary>
    /// Ready: failures are Warnings, reaching Synced is Normal; Pending is how every change starts, not news.
    /// UpstreamsReachable: endpoints starting to fail is a Warning, all reachable again is Normal.
    /// </summary>
    private async Task RecordTransitionAsync(WebSocketRoute route, WebSocketRouteStatus? previous, WebSocketRouteStatus status, CancellationToken cancellationToken)
    {
        var now = Condition(status, RouteReasons.ReadyType);
        var before = Condition(previous, RouteReasons.ReadyType);
        if (now is not null && now.Reason != RouteReasons.Pending
            && (before?.Reason != now.Reason || (now.Status != "True" && before.Message != now.Message)))
        {
            await events.RecordAsync(route, now.Status == "True" ? "Normal" : "Warning", now.Reason, now.Message, cancellationToken);
        }

        var reachable = Condition(status, RouteReasons.UpstreamsReachableType);
        var wasReachable = Condition(previous, RouteReasons.UpstreamsReachableType);
        if (reachable is { Status: "False" } && (wasReachable?.Status != "False" || wasReachable.Message != reachable.Message))
        {
            await events.RecordAsync(route, "Warning", reachable.Reason, reachable.Message, cancellationToken);
        }
        else if (reachable is { Status: "True" } && wasReachable is { Status: "False" })
        {
            await events.RecordAsync(route, "Normal", reachable.Reason, reachable.Message, cancellationToken);
        }
    }

    private static V1Condition? Condition(WebSocketRouteStatus? status, string type) =>
        status?.Conditions.FirstOrDefault(c => c.Type == type);
}
