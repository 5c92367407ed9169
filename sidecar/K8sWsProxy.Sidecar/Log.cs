namespace K8sWsProxy.Sidecar;

/// <summary>Every log line of the sidecar, so each has one event id and no message is formatted when the level is off.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Config revision {Revision} applied ({Routes} routes)")]
    public static partial void ConfigApplied(ILogger logger, string revision, int routes);

    [LoggerMessage(2, LogLevel.Warning, "Config revision {Revision} refused, the previous one keeps serving: {Reasons}")]
    public static partial void ConfigRefused(ILogger logger, string revision, string reasons);

    [LoggerMessage(3, LogLevel.Warning, "Route {Route}: upstream TLS verification is off (insecureSkipVerify)")]
    public static partial void InsecureSkipVerify(ILogger logger, string route);

    [LoggerMessage(4, LogLevel.Warning, "Route {Route}: connect to {Endpoint} failed (attempt {Attempt} of {Attempts}): {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string route, string endpoint, int attempt, int attempts, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Route {Route}: handshake failed with {Status}: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string route, int status, string reason);

    [LoggerMessage(6, LogLevel.Information, "Route {Route}: draining {Connections} connections")]
    public static partial void DrainingRoute(ILogger logger, string route, int connections);

    [LoggerMessage(7, LogLevel.Information, "Shutting down: closing {Connections} WebSocket connections with 1001")]
    public static partial void ShuttingDown(ILogger logger, int connections);

    [LoggerMessage(8, LogLevel.Debug, "Route {Route}: connection to {Endpoint} ended: {Outcome}")]
    public static partial void TunnelEnded(ILogger logger, string route, string endpoint, string outcome);

    [LoggerMessage(9, LogLevel.Warning, "TLS handshake for '{ServerName}': no certificate configured")]
    public static partial void NoCertificate(ILogger logger, string serverName);

    [LoggerMessage(10, LogLevel.Warning, "Could not save the last good document to {Path}: {Reason}")]
    public static partial void StateNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(11, LogLevel.Warning, "Ignoring the saved document {Path}, it is not valid: {Reasons}")]
    public static partial void StateIgnored(ILogger logger, string path, string reasons);

    [LoggerMessage(12, LogLevel.Warning, "A listener could not accept a connection: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Route {Route} has a TLS certificate, but the sidecar has no TLS listener (start it with --listen-tls ADDR:PORT)")]
    public static partial void NoTlsListener(ILogger logger, string route);

    [LoggerMessage(14, LogLevel.Information, "Memory trimmed after a burst: GC heap committed {BeforeMiB} -> {AfterMiB} MiB in {Milliseconds} ms")]
    public static partial void MemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB, long milliseconds);

    [LoggerMessage(15, LogLevel.Warning, "Route {Route}: reconnect to {Endpoint} failed: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, string route, string endpoint, string reason);

    [LoggerMessage(16, LogLevel.Information, "Route {Route}: upstream connection to {From} lost; the client continues on {To}")]
    public static partial void FailedOver(ILogger logger, string route, string from, string to);

    [LoggerMessage(17, LogLevel.Warning, "Route {Route} has message rules or onLost: Reconnect, but the sidecar runs with --frame-tracking off: its messages are relayed as bytes, unmatched, and a lost upstream closes the client")]
    public static partial void NoMessageStage(ILogger logger, string route);
}
