namespace K8sWsProxy.Operator.Compilation;

/// <summary>What the compiler decided about one route; the status function turns it into the route's status.</summary>
/// <param name="Revision">Content hash of the route as compiled; null when the route could not be compiled.</param>
/// <param name="Sidecars">The pods the selector picks, ordered by key: the route is synced on those that serve <paramref name="Revision"/>.</param>
public sealed record RouteVerdict(
    string Namespace,
    string Name,
    Acceptance Accepted,
    string? Revision,
    IReadOnlyList<PodRef> Sidecars)
{
    public string Key => $"{Namespace}/{Name}";
}

/// <summary>The Accepted condition: true, or false with one of the <see cref="RouteReasons"/> and the details.</summary>
public sealed record Acceptance(bool Accepted, string Reason, string Message)
{
    public static Acceptance Ok { get; } = new(true, RouteReasons.Accepted, "the route is valid");
}
