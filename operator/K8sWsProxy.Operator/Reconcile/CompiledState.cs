using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>The latest compilation, shared by the step that computes it and the steps that push and report it.</summary>
internal sealed class CompiledState
{
    private volatile Dictionary<string, RouteVerdict> _verdicts = new(StringComparer.Ordinal);

    public RouteVerdict? Verdict(string routeKey) => _verdicts.GetValueOrDefault(routeKey);

    /// <summary>Every route of the latest compilation (namespace/name).</summary>
    public IReadOnlyCollection<string> RouteKeys => _verdicts.Keys;

    public void Set(CompilationResult result) =>
        _verdicts = result.Verdicts.ToDictionary(v => v.Key, StringComparer.Ordinal);
}
