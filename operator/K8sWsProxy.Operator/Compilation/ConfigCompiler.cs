using k8s.Models;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>
/// The desired state as a pure function of a snapshot (the controller-runtime / Contour way): one document per
/// sidecar pod and one verdict per route. No I/O and no clock, and every list is ordered, so equal snapshots give
/// equal documents and equal revisions.
/// </summary>
public static class ConfigCompiler
{
    /// <summary>
    /// Whether a change of a sidecar pod can change the compilation: only its labels, its uid and whether it is being
    /// deleted are read. A sidecar's answer written onto its Pod (an annotation) cannot.
    /// </summary>
    public static bool ReadsChange(V1Pod? before, V1Pod? after) =>
        before is null || after is null
        || before.Metadata.Uid != after.Metadata.Uid
        || (before.Metadata.DeletionTimestamp is null) != (after.Metadata.DeletionTimestamp is null)
        || !LabelsEqual(before.Metadata.Labels, after.Metadata.Labels);

    /// <summary>
    /// Whether a change of a route can change the compilation: its spec (so its generation), identity and deletion.
    /// A status write, ours included, cannot: 50 sidecars acking must not mean 50 compilations.
    /// </summary>
    public static bool ReadsChange(WebSocketRoute? before, WebSocketRoute? after) =>
        before is null || after is null
        || before.Metadata.Uid != after.Metadata.Uid
        || before.Metadata.Generation != after.Metadata.Generation
        || (before.Metadata.DeletionTimestamp is null) != (after.Metadata.DeletionTimestamp is null);

    public static CompilationResult Compile(RouteSnapshot snapshot)
    {
        var secrets = new SecretLookup(snapshot.Secrets);
        var pods = snapshot.SidecarPods
            .Select(p => (Ref: PodRef.Of(p), Labels: p.Metadata.Labels))
            .OrderBy(p => p.Ref.Key, StringComparer.Ordinal)
            .ToList();

        // Oldest first: on a conflict the route met first keeps the host and path (the Gateway API rule).
        var routes = snapshot.Routes
            .OrderBy(r => r.Metadata.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r =>
            {
                var translated = RouteTranslator.Translate(r, secrets);
                var selected = pods.Where(p => p.Ref.Namespace == r.Namespace && LabelSelectors.Matches(r.Spec?.Selector, p.Labels)).Select(p => p.Ref).ToList();
                var revision = translated.Config is { } config ? RevisionHasher.Compute(new SidecarConfigDocument { Routes = [config] }) : null;
                return new CompiledRoute(r, translated, revision, selected);
            })
            .ToList();

        var revisions = routes.Where(r => r.Revision is not null).ToDictionary(r => r.Translated.Config!.Key, r => r.Revision!, StringComparer.Ordinal);
        var perPod = pods.Select(p => (p.Ref, Built: Document(p.Ref, routes))).ToList();
        var documents = perPod.Select(p => new SidecarDocument(p.Ref, p.Built.Document, RoutesOf(p.Built.Document, revisions))).ToList();
        var conflicts = perPod.SelectMany(p => p.Built.Conflicts).ToList();
        var verdicts = routes
            .OrderBy(r => r.Route.Key, StringComparer.Ordinal)
            .Select(r => Verdict(r, conflicts.Where(c => c.Loser == r.Route.Key).ToList()))
            .ToList();
        return new CompilationResult(documents, verdicts);
    }

    /// <summary>The pod's document: its accepted routes, less those that lose a host and path to an older route.</summary>
    private static (SidecarConfigDocument Document, List<Conflict> Conflicts) Document(PodRef pod, List<CompiledRoute> routesOldestFirst)
    {
        var conflicts = new List<Conflict>();
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        var served = new List<RouteConfig>();
        foreach (var route in routesOldestFirst)
        {
            if (route.Translated.Config is not { } config || !route.Pods.Contains(pod))
            {
                continue;
            }

            var keys = SidecarConfigValidator.MatchKeys(config.Match).Distinct(StringComparer.Ordinal).ToList();
            var lost = keys.Where(claims.ContainsKey).ToList();
            if (lost.Count > 0)
            {
                conflicts.AddRange(lost.Select(k => new Conflict(route.Route.Key, claims[k], k, pod.Key)));
                continue;
            }

            keys.ForEach(k => claims[k] = route.Route.Key);
            served.Add(config);
        }

        return (RevisionHasher.WithRevision(new SidecarConfigDocument { Routes = [.. served.OrderBy(r => r.Key, StringComparer.Ordinal)] }), conflicts);
    }

    private static RouteVerdict Verdict(CompiledRoute route, List<Conflict> lost)
    {
        var acceptance = lost.Count == 0 ? route.Translated.Acceptance : new Acceptance(false, RouteReasons.Conflict, Describe(lost));
        return new RouteVerdict(route.Route.Namespace, route.Route.Metadata.Name ?? "", acceptance, route.Revision, route.Pods);
    }

    /// <summary>The revision of each route the document holds: what a sidecar that acks it serves.</summary>
    private static DocumentRoutes RoutesOf(SidecarConfigDocument document, Dictionary<string, string> revisions) =>
        new(document.Revision!, new SortedDictionary<string, string>(document.Routes.ToDictionary(r => r.Key, r => revisions[r.Key], StringComparer.Ordinal), StringComparer.Ordinal));

    /// <summary>"spec.match: chat.example.com Prefix /ws [] is held by the older route demo/a on pods demo/p-0, demo/p-1".</summary>
    private static string Describe(List<Conflict> lost) => string.Join("; ", lost
        .GroupBy(c => (c.Winner, c.MatchKey))
        .OrderBy(g => g.Key.Winner, StringComparer.Ordinal).ThenBy(g => g.Key.MatchKey, StringComparer.Ordinal)
        .Select(g =>
        {
            var pods = g.Select(c => c.Pod).Distinct().Order(StringComparer.Ordinal).ToList();
            return $"spec.match: {g.Key.MatchKey} is held by the older route {g.Key.Winner} on {(pods.Count == 1 ? "pod" : "pods")} {string.Join(", ", pods)}";
        }));

    /// <param name="Revision">Content hash of the route as a sidecar gets it; null when it could not be translated.</param>
    private sealed record CompiledRoute(WebSocketRoute Route, TranslatedRoute Translated, string? Revision, IReadOnlyList<PodRef> Pods);

    private sealed record Conflict(string Loser, string Winner, string MatchKey, string Pod);

    private static bool LabelsEqual(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(p => b!.TryGetValue(p.Key, out var v) && v == p.Value);
}
