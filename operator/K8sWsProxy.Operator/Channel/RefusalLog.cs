namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// The channel's refusals in the log, at most <see cref="PerWindow"/> lines per <see cref="Window"/> and then one line
/// saying how many were left out: a flood of bad tokens must not become a flood of log lines.
/// </summary>
internal sealed class RefusalLog(TimeProvider time, ILogger<RefusalLog> logger)
{
    public const int PerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private DateTimeOffset _windowStart = time.GetUtcNow();
    private int _logged;
    private int _suppressed;

    public void Refused(string remote, int status, string reason)
    {
        var now = time.GetUtcNow();
        int suppressed;
        lock (_gate)
        {
            suppressed = 0;
            if (now - _windowStart >= Window)
            {
                suppressed = _suppressed;
                (_windowStart, _logged, _suppressed) = (now, 0, 0);
            }

            if (_logged >= PerWindow)
            {
                _suppressed++;
                return;
            }

            _logged++;
        }

        if (suppressed > 0)
        {
            Log.ChannelRefusalsSuppressed(logger, suppressed, (long)Window.TotalSeconds);
        }

        Log.ChannelRefused(logger, remote, status, reason);
    }
}
