namespace K8sWsProxy.Tunnel.Messages;

/// <summary>What a <see cref="MessageStage"/> reports, for metrics; shared by every connection of a route.</summary>
public interface IMessageEvents
{
    void RuleApplied(MessageRule rule);

    void UpstreamLost();

    /// <summary>A failover ended with a new upstream, <paramref name="gap"/> after the old one was lost.</summary>
    void Reconnected(TimeSpan gap);

    /// <summary>A failover ran out of attempts: the client is closed with 1014.</summary>
    void GaveUp();

    /// <summary>A client message held while the upstream was away.</summary>
    void Buffered();

    /// <summary>A client message dropped while the upstream was away (buffer full, or a message too big to hold).</summary>
    void Dropped();
}
