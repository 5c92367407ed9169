namespace K8sWsProxy.Operator.Compilation;

/// <summary>
/// What one sidecar reported: what it runs, route by route, and the newest document it refused since (a sidecar that
/// refuses a document keeps serving the one it had), built from its <c>ack</c>s and <c>nack</c>s and the documents
/// they name; and, from its <c>health</c> messages, its routes' failing upstream endpoints.
/// </summary>
/// <param name="Failing">By route key, each endpoint URL that failed lately and its last error; null: never reported.</param>
public sealed record SidecarReport(
    DocumentRoutes? Applied,
    DocumentRoutes? Refused = null,
    string? RefusedBecause = null,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Failing = null)
{
    public static SidecarReport None { get; } = new(Applied: null);

    /// <summary>Whether the sidecar serves <paramref name="route"/> at <paramref name="revision"/>.</summary>
    public bool Serves(string route, string revision) => Applied?.Has(route, revision) == true;

    /// <summary>Whether the document it refused held <paramref name="route"/> at <paramref name="revision"/>.</summary>
    public bool Refuses(string route, string revision) => Refused?.Has(route, revision) == true;
}

/// <summary>A document's revision and the revision of each route it holds (route key, "namespace/name").</summary>
public sealed record DocumentRoutes(string Revision, IReadOnlyDictionary<string, string> Routes)
{
    public bool Has(string route, string revision) => Routes.TryGetValue(route, out var r) && r == revision;

    /// <summary>Value equality, routes included.</summary>
    public bool Equals(DocumentRoutes? other) =>
        other is not null && Revision == other.Revision && Routes.Count == other.Routes.Count
        && Routes.All(r => other.Routes.TryGetValue(r.Key, out var v) && v == r.Value);

    public override int GetHashCode() => HashCode.Combine(Revision, Routes.Count);
}
