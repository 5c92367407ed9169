namespace K8sWsProxy.Contracts.Config;

/// <summary>Request headers changed on the way to the upstream.</summary>
public sealed record HeadersConfig
{
    public IReadOnlyDictionary<string, string> Set { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Remove { get; init; } = [];
}
