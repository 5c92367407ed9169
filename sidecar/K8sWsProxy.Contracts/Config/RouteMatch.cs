namespace K8sWsProxy.Contracts.Config;

public enum PathType
{
    Prefix,
    Exact,
    RegularExpression,
}

public sealed record RouteMatch
{
    /// <summary>Host names (exact or "*.suffix"); empty matches any host.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    public string Path { get; init; } = "/";

    public PathType PathType { get; init; } = PathType.Prefix;

    public IReadOnlyList<HeaderMatch> Headers { get; init; } = [];
}

/// <summary>The request must carry header <see cref="Name"/> with exactly <see cref="Value"/> (case-insensitive).</summary>
public sealed record HeaderMatch
{
    public string Name { get; init; } = "";

    public string Value { get; init; } = "";
}
