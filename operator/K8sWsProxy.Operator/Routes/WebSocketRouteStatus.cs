using k8s.Models;

namespace K8sWsProxy.Operator.Routes;

/// <summary>What the operator observed; written through the status subresource by the leader only.</summary>
public sealed record WebSocketRouteStatus
{
    public long? ObservedGeneration { get; init; }

    /// <summary>Content hash of the route as compiled; absent while the route is not accepted.</summary>
    public string? Revision { get; init; }

    public SidecarCounts Sidecars { get; init; } = new();

    public IReadOnlyList<V1Condition> Conditions { get; init; } = [];

    /// <summary>The route's upstream endpoints that failed lately on any of its sidecars, by URL.</summary>
    public IReadOnlyList<UpstreamFailure> UpstreamFailures { get; init; } = [];

    /// <summary>Value equality, conditions included, so the writer can skip a status that did not change.</summary>
    public bool Equals(WebSocketRouteStatus? other) =>
        other is not null
        && ObservedGeneration == other.ObservedGeneration
        && Revision == other.Revision
        && Sidecars == other.Sidecars
        && Conditions.SequenceEqual(other.Conditions)
        && UpstreamFailures.SequenceEqual(other.UpstreamFailures);

    public override int GetHashCode() => HashCode.Combine(ObservedGeneration, Revision, Sidecars, Conditions.Count);
}

public sealed record SidecarCounts
{
    public int Selected { get; init; }

    public int Synced { get; init; }

    /// <summary>"synced/selected" ("2/3"): what the Synced printer column shows, since a column reads one field.</summary>
    public string Summary { get; init; } = "0/0";
}

/// <summary>An upstream endpoint that failed to connect or to answer the handshake lately.</summary>
/// <param name="Sidecars">How many of the route's sidecars saw it fail.</param>
/// <param name="Error">The last error one of them saw (the first by pod name).</param>
public sealed record UpstreamFailure(string Endpoint, int Sidecars, string Error);
