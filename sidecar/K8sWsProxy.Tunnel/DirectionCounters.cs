namespace K8sWsProxy.Tunnel;

/// <summary>
/// Message and payload-byte totals of one direction, usually shared by every tunnel of a route.
/// Fields, not properties, so tunnels can update them with <see cref="Interlocked"/>.
/// </summary>
public sealed class DirectionCounters
{
    /// <summary>Complete data messages (text or binary, any number of fragments, empty included).</summary>
    public long Messages;

    /// <summary>Payload bytes of those messages as on the wire.</summary>
    public long Bytes;
}
