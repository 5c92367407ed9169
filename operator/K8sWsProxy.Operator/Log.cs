namespace K8sWsProxy.Operator;

/// <summary>Every log line of the operator, each with its own event id. None carries a token or a key.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Listed {Source}: {Count} objects at resourceVersion {ResourceVersion}")]
    public static partial void Listed(ILogger logger, string source, int count, string resourceVersion);

    [LoggerMessage(2, LogLevel.Information, "Watch of {Source} from resourceVersion {ResourceVersion} expired (410 Gone): relisting")]
    public static partial void WatchExpired(ILogger logger, string source, string resourceVersion);

    [LoggerMessage(3, LogLevel.Warning, "List/watch of {Source} failed, retrying in {DelayMs} ms: {Reason}")]
    public static partial void ListWatchFailed(ILogger logger, string source, double delayMs, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Reconcile of {Key} failed, retrying with backoff: {Reason}")]
    public static partial void ReconcileFailed(ILogger logger, string key, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Compiled {Routes} routes into {Documents} sidecar documents, {Changed} changed")]
    public static partial void Compiled(ILogger logger, int routes, int documents, int changed);

    [LoggerMessage(6, LogLevel.Information, "Status of {Route}: {Synced} sidecars synced, Ready reason {Reason}")]
    public static partial void StatusWritten(ILogger logger, string route, string synced, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Event {Reason} on {Route} not recorded: {Error}")]
    public static partial void EventNotRecorded(ILogger logger, string route, string reason, string error);

    [LoggerMessage(23, LogLevel.Debug, "Event {Reason} on {Route} dropped: the route's event budget is spent")]
    public static partial void EventThrottled(ILogger logger, string route, string reason);

    [LoggerMessage(8, LogLevel.Information, "{Identity} is now the leader (lease {Namespace}/{Name})")]
    public static partial void StartedLeading(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(9, LogLevel.Information, "{Identity} stopped leading")]
    public static partial void StoppedLeading(ILogger logger, string identity);

    [LoggerMessage(10, LogLevel.Information, "Leader is {Leader}")]
    public static partial void NewLeader(ILogger logger, string leader);

    [LoggerMessage(11, LogLevel.Warning, "Leader election: {Reason}")]
    public static partial void LeaderElectionError(ILogger logger, string reason);

    [LoggerMessage(12, LogLevel.Warning, "Config channel refused for {Remote}: {Status} {Reason}")]
    public static partial void ChannelRefused(ILogger logger, string remote, int status, string reason);

    [LoggerMessage(24, LogLevel.Warning, "Config channel: {Count} more refusals in the last {Seconds} s, not logged one by one")]
    public static partial void ChannelRefusalsSuppressed(ILogger logger, int count, long seconds);

    [LoggerMessage(13, LogLevel.Warning, "TokenReview failed with HTTP {Status}")]
    public static partial void TokenReviewFailed(ILogger logger, int status);

    [LoggerMessage(14, LogLevel.Information, "Sidecar {Pod} connected from {Remote}")]
    public static partial void SidecarConnected(ILogger logger, string pod, string remote);

    [LoggerMessage(15, LogLevel.Information, "Sidecar {Pod} disconnected")]
    public static partial void SidecarDisconnected(ILogger logger, string pod);

    [LoggerMessage(16, LogLevel.Debug, "Sent revision {Revision} ({Routes} routes) to {Pod}")]
    public static partial void DocumentSent(ILogger logger, string pod, string revision, int routes);

    [LoggerMessage(17, LogLevel.Debug, "Sidecar {Pod} acked {Revision}")]
    public static partial void SidecarAcked(ILogger logger, string pod, string revision);

    [LoggerMessage(18, LogLevel.Warning, "Sidecar {Pod} rejected {Revision}: {Reasons}")]
    public static partial void SidecarRejected(ILogger logger, string pod, string revision, string reasons);

    [LoggerMessage(19, LogLevel.Warning, "Sidecar {Pod} sent a bad message: {Reason}")]
    public static partial void BadSidecarMessage(ILogger logger, string pod, string reason);

    [LoggerMessage(20, LogLevel.Information, "{Identity} released the lease on shutdown")]
    public static partial void LeaseReleased(ILogger logger, string identity);

    [LoggerMessage(21, LogLevel.Information, "Serving certificate reloaded: {Subject}, valid until {NotAfter:u}")]
    public static partial void ServingCertificateReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(22, LogLevel.Warning, "Serving certificate files changed but do not load ({File}): the previous certificate keeps serving: {Reason}")]
    public static partial void ServingCertificateRefused(ILogger logger, string file, string reason);

    [LoggerMessage(25, LogLevel.Information, "Injected the sidecar into pod {Pod} as {Kind}")]
    public static partial void SidecarInjected(ILogger logger, string pod, string kind);

    [LoggerMessage(26, LogLevel.Warning, "Refused pod {Pod}: {Reason}")]
    public static partial void InjectionRefused(ILogger logger, string pod, string reason);

    [LoggerMessage(27, LogLevel.Debug, "Pod {Pod} left unchanged: {Reason}")]
    public static partial void InjectionSkipped(ILogger logger, string pod, string reason);

    [LoggerMessage(28, LogLevel.Information, "API server is {Version}: injecting {Kind}")]
    public static partial void SidecarKindChosen(ILogger logger, string version, string kind);

    [LoggerMessage(29, LogLevel.Warning, "Cannot read the API server's version, injecting classic sidecars (containers): {Reason}")]
    public static partial void ServerVersionUnknown(ILogger logger, string reason);
}
