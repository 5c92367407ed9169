namespace K8sWsProxy.Contracts.Config;

public sealed record LimitsConfig
{
    /// <summary>Concurrent WebSocket connections of the route on one sidecar; 0 means no limit (503 past it).</summary>
    public int MaxConnections { get; init; }

    /// <summary>Messages per second per connection and direction; past it the proxy stops reading (backpressure). 0: off.</summary>
    public int MessagesPerSecond { get; init; }
}
