namespace K8sWsProxy.Tunnel.Messages;

/// <summary>
/// A route's message handling (<see cref="MessageStage"/>): rules on whole text messages and failover of the upstream.
/// Routes without it are relayed as bytes, as before.
/// </summary>
public sealed record MessageOptions
{
    /// <summary>The largest message held whole (matched by rules, kept back across a failover); larger ones pass as they arrive.</summary>
    public long MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>Evaluated in order on each whole text message; the first that matches acts.</summary>
    public IReadOnlyList<MessageRule> Rules { get; init; } = [];

    /// <summary>Null: a lost upstream closes the client with 1014, as on any route.</summary>
    public FailoverOptions? Failover { get; init; }
}

/// <summary>What happens to client messages that arrive while the upstream is being reconnected and do not fit.</summary>
public enum BufferFull
{
    /// <summary>The message is dropped and counted; the connection stays.</summary>
    Drop,

    /// <summary>The connection is closed with 1013 (try again later).</summary>
    Close,
}

/// <summary>Keeps the client when its upstream connection is lost and reconnects, at message boundaries.</summary>
public sealed record FailoverOptions
{
    /// <summary>Close codes from the upstream that count as lost (besides a connection that ends without a close frame).</summary>
    public IReadOnlySet<int> CloseCodes { get; init; } = new HashSet<int>();

    /// <summary>Send the client a JSON text message when the upstream is lost and when it is back.</summary>
    public bool Notify { get; init; }

    /// <summary>Client messages held while reconnecting, at most this many and <see cref="BufferBytes"/> bytes.</summary>
    public int BufferMessages { get; init; } = 100;

    public long BufferBytes { get; init; } = 1024 * 1024;

    public BufferFull OnBufferFull { get; init; } = BufferFull.Drop;

    /// <summary>The client's first message is sent again to each new upstream before anything else (a subscribe, a login).</summary>
    public bool ReplayFirstMessage { get; init; }

    /// <summary>Connect attempts per failover; the first is made at once, then after <see cref="InitialInterval"/>, growing by <see cref="Growth"/>.</summary>
    public int Attempts { get; init; } = 3;

    public TimeSpan InitialInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public double Growth { get; init; } = 2;
}
