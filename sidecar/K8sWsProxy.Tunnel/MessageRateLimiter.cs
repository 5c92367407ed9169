namespace K8sWsProxy.Tunnel;

/// <summary>
/// Token bucket of one direction: up to one second's worth of messages in a burst, then the configured rate.
/// Used only by the copy loop writing in that direction, so it needs no synchronisation.
/// </summary>
internal sealed class MessageRateLimiter(int messagesPerSecond, TimeProvider time)
{
    private double _tokens = messagesPerSecond;
    private long _refilledAt = time.GetTimestamp();

    /// <summary>Takes one message's token and returns how long to wait before sending it.</summary>
    public TimeSpan Reserve()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(messagesPerSecond, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * messagesPerSecond));
        _refilledAt = now;
        _tokens -= 1;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / messagesPerSecond);
    }
}
