namespace K8sWsProxy.Contracts.Config;

/// <summary>What a route does when its upstream connection is lost under a connected client.</summary>
public enum UpstreamLost
{
    /// <summary>The client is closed with 1014, as by any proxy.</summary>
    Close,

    /// <summary>The client stays; the proxy connects again (<see cref="UpstreamConfig.Retry"/>) and carries on at a message boundary.</summary>
    Reconnect,
}

public enum BufferOverflow
{
    Drop,

    /// <summary>The client is closed with 1013.</summary>
    Close,
}

/// <summary>Options of <see cref="UpstreamLost.Reconnect"/>.</summary>
public sealed record FailoverConfig
{
    /// <summary>Upstream close codes that also count as lost (a connection ending without a close frame always does).</summary>
    public IReadOnlyList<int> CloseCodes { get; init; } = [];

    /// <summary>A JSON text message to the client when the upstream is lost and when it is back.</summary>
    public bool Notify { get; init; }

    /// <summary>Client messages held while reconnecting.</summary>
    public int BufferMessages { get; init; } = 100;

    public long BufferBytes { get; init; } = 1024 * 1024;

    public BufferOverflow OnBufferFull { get; init; } = BufferOverflow.Drop;

    /// <summary>The client's first message goes again to every new upstream, first (a subscribe, a login).</summary>
    public bool ReplayFirstMessage { get; init; }
}
