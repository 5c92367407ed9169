namespace K8sWsProxy.Contracts.Config;

public sealed record WebSocketOptions
{
    /// <summary>Subprotocols a client may ask for; empty passes every request through.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>Origins allowed to connect ("https://host[:port]" or "*"); empty allows any.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Largest message, summed over its fragments; 0 means no limit.</summary>
    public long MaxMessageBytes { get; init; }

    /// <summary>Interval of proxy-sent pings to both peers; a peer silent for two intervals is closed. Empty: off.</summary>
    public string? KeepAliveInterval { get; init; }
}
