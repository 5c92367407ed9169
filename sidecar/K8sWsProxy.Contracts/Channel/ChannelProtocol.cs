namespace K8sWsProxy.Contracts.Channel;

/// <summary>Where and how the channel is reached; both sides read these, so they cannot disagree.</summary>
public static class ChannelProtocol
{
    /// <summary>The WebSocket endpoint on the operator's TLS listener.</summary>
    public const string Path = "/v1/channel";

    /// <summary>The audience of the projected service-account token the sidecar presents as a bearer token.</summary>
    public const string Audience = "k8s-ws-proxy";

    /// <summary>
    /// How long a failure keeps an upstream endpoint listed as failing in the sidecar's <c>health</c> message: an
    /// endpoint that fails now and then stays listed instead of coming and going with each attempt.
    /// </summary>
    public static readonly TimeSpan HealthWindow = TimeSpan.FromSeconds(60);

    /// <summary>The most often a sidecar sends <c>health</c>: a flapping upstream cannot become a stream of messages and status writes.</summary>
    public static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(5);

    /// <summary>Largest message the sidecar accepts: a document carries PEM for every route of the pod.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Largest message the operator accepts (an ack, a nack, a health report); a larger one ends the session.</summary>
    public const int MaxAnswerBytes = 1024 * 1024;

    /// <summary>
    /// Longest text the operator keeps of what a sidecar says (a nack's reasons, an endpoint's error): it ends up in a
    /// Pod annotation, a condition message and an event, which must stay small whatever a sidecar sends.
    /// </summary>
    public const int MaxReportedChars = 1024;

    /// <summary><paramref name="text"/>, cut to <see cref="MaxReportedChars"/> with "…" when longer.</summary>
    public static string Bounded(string text) => text.Length <= MaxReportedChars ? text : text[..(MaxReportedChars - 1)] + "…";
}
