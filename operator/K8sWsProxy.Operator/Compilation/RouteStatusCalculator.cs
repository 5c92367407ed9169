using k8s.Models;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>
/// A route's status as a pure function of its verdict and the sidecars' answers. A route is synced on a sidecar that
/// serves its current content (its revision, not the revision of the sidecar's whole document), so a change of one
/// route, which gives every sidecar that serves it a new document, leaves every other route's status as it was. A
/// route that is not accepted is on no sidecar: none counts as synced. A condition keeps its
/// lastTransitionTime while its status stays the same, so an unchanged world gives an equal status and
/// the writer (which compares with <see cref="WebSocketRouteStatus.Equals(WebSocketRouteStatus?)"/>) writes nothing.
/// </summary>
public static class RouteStatusCalculator
{
    /// <param name="answers">The last answer of each sidecar, by pod key ("namespace/name"); a pod not in it has not answered.</param>
    /// <param name="now">UTC. Used only for conditions whose status changes; cut to seconds, as the API server stores it.</param>
    public static WebSocketRouteStatus Compute(
        WebSocketRoute route,
        RouteVerdict verdict,
        IReadOnlyDictionary<string, SidecarReport> answers,
        WebSocketRouteStatus? previous,
        DateTime now)
    {
        var generation = route.Metadata.Generation;
        var selected = verdict.Sidecars.Count;
        var serving = verdict.Revision is { } revision
            ? verdict.Sidecars.Where(p => answers.TryGetValue(p.Key, out var a) && a.Serves(verdict.Key, revision)).ToHashSet()
            : [];
        var synced = serving.Count;
        var (ready, reason, message) = Ready(verdict, answers, serving);
        var failures = Failures(verdict, answers);
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
                Reachable(verdict, failures, reason, message, generation, previous, at),
            ],
            UpstreamFailures = failures,
        };
    }

    private static (bool Ready, string Reason, string Message) Ready(RouteVerdict verdict, IReadOnlyDictionary<string, SidecarReport> answers, HashSet<PodRef> serving)
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

        var revision = verdict.Revision!;
        var rejected = verdict.Sidecars
            .Where(p => !serving.Contains(p) && answers.TryGetValue(p.Key, out var a) && a.Refuses(verdict.Key, revision))
            .ToList();
        if (rejected.Count > 0)
        {
            var pod = rejected[0];
            var answer = answers[pod.Key];
            var more = rejected.Count > 1 ? $" (and {rejected.Count - 1} more)" : "";
            return (false, RouteReasons.Rejected, $"sidecar {pod.Key} rejected document {Short(answer.Refused!.Revision)}{more}: {answer.RefusedBecause}");
        }

        var text = $"{serving.Count}/{selected} sidecars on revision {Short(revision)}";
        return serving.Count == selected ? (true, RouteReasons.Synced, text) : (false, RouteReasons.Pending, text);
    }

    /// <summary>Each endpoint that a selected sidecar reports failing for this route, by URL, with how many report it.</summary>
    private static List<UpstreamFailure> Failures(RouteVerdict verdict, IReadOnlyDictionary<string, SidecarReport> answers) =>
        [.. verdict.Sidecars
            .SelectMany(p => answers.TryGetValue(p.Key, out var a) && a.Failing?.GetValueOrDefault(verdict.Key) is { } failing
                ? failing
                : Enumerable.Empty<KeyValuePair<string, string>>())
            .GroupBy(f => f.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new UpstreamFailure(g.Key, g.Count(), g.First().Value))];

    /// <summary>
    /// Whether the sidecars reach the route's upstreams, apart from Ready: a route can be on every sidecar while its
    /// backends refuse. Unknown while the route is on no sidecar (for the reason Ready gives).
    /// </summary>
    private static V1Condition Reachable(RouteVerdict verdict, List<UpstreamFailure> failures, string readyReason, string readyMessage, long? generation, WebSocketRouteStatus? previous, DateTime now)
    {
        var selected = verdict.Sidecars.Count;
        if (!verdict.Accepted.Accepted || selected == 0)
        {
            return Condition(RouteReasons.UpstreamsReachableType, null, readyReason, readyMessage, generation, previous, now);
        }

        if (failures.Count == 0)
        {
            var window = Contracts.Channel.ChannelProtocol.HealthWindow.TotalSeconds;
            return Condition(RouteReasons.UpstreamsReachableType, true, RouteReasons.Reachable, $"no connect or handshake failure in the last {window:F0} s on {selected} sidecars", generation, previous, now);
        }

        var message = string.Join("; ", failures.Select(f => $"{f.Endpoint} fails on {f.Sidecars}/{selected} sidecars ({f.Error})"));
        return Condition(RouteReasons.UpstreamsReachableType, false, RouteReasons.EndpointsFailing, message, generation, previous, now);
    }

    private static V1Condition Condition(string type, bool? value, string reason, string message, long? generation, WebSocketRouteStatus? previous, DateTime now)
    {
        var status = value switch { true => "True", false => "False", null => "Unknown" };
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
