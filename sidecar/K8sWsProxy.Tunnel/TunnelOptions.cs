namespace K8sWsProxy.Tunnel;

/// <summary>Per-route limits and timers of a <see cref="WebSocketTunnel"/>.</summary>
public sealed record TunnelOptions
{
    /// <summary>0 = no limit; summed over a message's fragments, per direction (wire payload, so compressed when deflate is on).</summary>
    public long MaxMessageBytes { get; init; }

    /// <summary>Proxy-sent pings to both peers; a peer silent (no bytes read from it) for two intervals is closed with 1001.</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary>No data message either way for this long closes the tunnel with 1001 "idle timeout".</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>0 = off; per direction. Past it the write path waits (backpressure), it never drops.</summary>
    public int MessagesPerSecond { get; init; }

    /// <summary>
    /// Pings and pongs a peer may send per second (per direction); past it the tunnel closes with 1008. A peer
    /// answers a ping once per interval: a flood of them only spends the proxy's CPU and the other connections' time.
    /// </summary>
    public int MaxControlFramesPerSecond { get; init; } = 100;

    /// <summary>Frames one message may be cut into; past it the tunnel closes with 1008 (a flood of tiny fragments).</summary>
    public int MaxFragmentsPerMessage { get; init; } = 10_000;

    /// <summary>After close frames went out, how long peers get to answer before the tunnel is aborted.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
