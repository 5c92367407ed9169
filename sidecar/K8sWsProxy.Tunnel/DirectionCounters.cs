namespace K8sWsProxy.Tunnel;

/// <summary>
/// Message and payload-byte totals of one direction, usually shared by every tunnel of a route. The one place a
/// relayed message is counted: the tunnel calls <see cref="CountMessage"/> when a data message's last frame has gone through.
/// </summary>
public sealed class DirectionCounters
{
    private long _messages;
    private long _bytes;

    /// <summary>Complete data messages (text or binary, any number of fragments, empty included).</summary>
    public long Messages => Volatile.Read(ref _messages);

    /// <summary>Payload bytes of those messages as on the wire.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    internal void CountMessage(long payloadBytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, payloadBytes);
    }
}
