namespace K8sWsProxy.Contracts.Config;

/// <summary>
/// Everything one sidecar serves: the unit the file source and the operator channel hand to the sidecar,
/// validated and applied as a whole.
/// </summary>
public sealed record SidecarConfigDocument
{
    /// <summary>Content hash set by whoever built the document; computed from the content when empty.</summary>
    public string? Revision { get; init; }

    public IReadOnlyList<RouteConfig> Routes { get; init; } = [];
}
