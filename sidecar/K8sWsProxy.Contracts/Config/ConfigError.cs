namespace K8sWsProxy.Contracts.Config;

/// <summary>A problem with one field of a document: <c>routes[2].upstream.endpoints[0].url: scheme must be ws or wss</c>.</summary>
public sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
