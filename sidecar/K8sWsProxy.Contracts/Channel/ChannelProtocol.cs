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

    /// <summary>Largest frame either side accepts: a document carries PEM for every route of the pod.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;
}
