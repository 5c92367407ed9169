using k8s.Models;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>
/// A route's status as a pure function of its verdict and the sidecars' answers. A condition keeps its
/// lastTransitionTime while its status stays the same, so an unchanged world gives an equal status and
/// the writer (which compares with <see cref="WebSocketRouteStatus.Equals(WebSocketRouteStatus?)"/>) writes nothing.
/// </summary>
public static class RouteStatusCalculator
{
    /// <param name="acks">The last answer of each sidecar, by pod key ("namespace/name"); a pod not in it has not answered.</param>
    /// <param name="now">UTC. Used only for conditions whose status changes; cut to seconds, as the API server stores it.</param>
    public static WebSocketRouteStatus Compute(
        WebSocketRoute route,
        RouteVerdict verdict,
        IReadOnlyDictionary<string, SidecarAck> acks,
        WebSocketRouteStatus? previous,
        DateTime now)
    {
        var generation = route.Metadata.Generation;
        var selected = verdict.Sidecars.Count;
        var synced = verdict.Sidecars.Count(s => acks.TryGetValue(s.Pod.Key, out var a) && !a.Rejected && a.Revision == s.DocumentRevision);
        var (ready, reason, message) = Ready(verdict, acks, synced);
        var at = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        return new WebSocketRouteStatus
        {
            ObservedGeneration = generation,
            Revision = verdict.Revision,
            Sidecars = new SidecarCounts { Selected = selected, Synced = synced, Summary = $"{synced}/{selected}" },
            Conditions =
            [
                Condition(RouteReasons.AcceptedType, verdict.Accepted.Accepted, verdict.Accepted.Reason, verdict.Accepted.Message, generation, previous, at),
                Condition(RouteReasons.ReadyType, ready, reason, message, generation, previous, at),
            ],
        };
    }

    private static (bool Ready, string Reason, string Message) Ready(RouteVerdict verdict, IReadOnlyDictionary<string, SidecarAck> acks, int synced)
    {
        if (!verdict.Accepted.Accepted)
        {
            return (false, verdict.Accepted.Reason, verdict.Accepted.Message);
        }

        var selected = verdict.Sidecars.Count;
        if (selected == 0)
        {
            return (false, RouteReasons.NoSidecars, "no pod with a sidecar matches spec.selector");
        }

        var rejected = verdict.Sidecars
            .Where(s => acks.TryGetValue(s.Pod.Key, out var a) && a.Rejected && a.Revision == s.DocumentRevision)
            .ToList();
        if (rejected.Count > 0)
        {
            var pod = rejected[0].Pod;
            var ack = acks[pod.Key];
            var more = rejected.Count > 1 ? $" (and {rejected.Count - 1} more)" : "";
            return (false, RouteReasons.Rejected, $"sidecar {pod.Key} rejected revision {Short(ack.Revision)}{more}: {ack.RejectReason}");
        }

        var text = $"{synced}/{selected} sidecars on revision {Short(verdict.Revision)}";
        return synced == selected ? (true, RouteReasons.Synced, text) : (false, RouteReasons.Pending, text);
    }

    private static V1Condition Condition(string type, bool value, string reason, string message, long? generation, WebSocketRouteStatus? previous, DateTime now)
    {
        var status = value ? "True" : "False";
        var before = previous?.Conditions.FirstOrDefault(c => c.Type == type);
        return new V1Condition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = before?.Status == status ? before.LastTransitionTime : now,
        };
    }

    /// <summary>"sha256:" and 12 hex digits: enough to tell revisions apart in a message; the status has the whole one.</summary>
    private static string Short(string? revision) =>
        revision is { Length: > 19 } ? revision[..19] : revision ?? "";
}
