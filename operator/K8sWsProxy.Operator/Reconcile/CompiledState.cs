using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>The latest compilation, shared by the step that computes it and the steps that push and report it.</summary>
internal sealed class CompiledState
{
    private volatile State _state = new([], []);

    public RouteVerdict? Verdict(string routeKey) => _state.Verdicts.GetValueOrDefault(routeKey);

    /// <summary>The routes that select a pod (namespace/name): those whose status an answer of its sidecar can change.</summary>
    public IReadOnlyList<string> RoutesOf(string podKey) => _state.RoutesByPod.GetValueOrDefault(podKey) ?? [];

    public void Set(CompilationResult result)
    {
        var verdicts = result.Verdicts.ToDictionary(v => v.Key, StringComparer.Ordinal);
        var byPod = result.Verdicts
            .SelectMany(v => v.Sidecars.Select(p => (Pod: p.Key, Route: v.Key)))
            .GroupBy(x => x.Pod, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(x => x.Route)], StringComparer.Ordinal);
        _state = new State(verdicts, byPod);
    }

    private sealed record State(Dictionary<string, RouteVerdict> Verdicts, Dictionary<string, IReadOnlyList<string>> RoutesByPod);
}
