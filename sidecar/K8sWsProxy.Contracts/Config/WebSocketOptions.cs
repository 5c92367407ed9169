namespace K8sWsProxy.Contracts.Config;

public sealed record WebSocketOptions
{
    /// <summary>Subprotocols a client may ask for; empty passes every request through.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>Origins allowed to connect ("https://host[:port]" or "*"); empty allows any.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>
    /// The largest message any route accepts: a frame header can announce up to 2^63 bytes, and a proxy that
    /// believed it would hold the connection for the rest of them.
    /// </summary>
    public const long HardMaxMessageBytes = 256L * 1024 * 1024;

    /// <summary>Largest message, summed over its fragments; 0 means <see cref="HardMaxMessageBytes"/>.</summary>
    public long MaxMessageBytes { get; init; }

    /// <summary>Interval of proxy-sent pings to both peers; a peer silent for two intervals is closed. Empty: off.</summary>
    public string? KeepAliveInterval { get; init; }
}
