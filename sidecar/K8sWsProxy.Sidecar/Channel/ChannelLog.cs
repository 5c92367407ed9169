namespace K8sWsProxy.Sidecar.Channel;

/// <summary>The config channel's log lines (event ids 100+). None carries the token.</summary>
internal static partial class ChannelLog
{
    [LoggerMessage(100, LogLevel.Information, "Connected to the operator at {Url}")]
    public static partial void Connected(ILogger logger, Uri url);

    [LoggerMessage(101, LogLevel.Warning, "Operator channel {Url} lost or refused ({Reason}); reconnecting in {DelayMs} ms, serving revision {Revision} meanwhile")]
    public static partial void Disconnected(ILogger logger, Uri url, string reason, long delayMs, string revision);

    [LoggerMessage(102, LogLevel.Warning, "Operator sent a bad message: {Reason}")]
    public static partial void BadMessage(ILogger logger, string reason);
}
