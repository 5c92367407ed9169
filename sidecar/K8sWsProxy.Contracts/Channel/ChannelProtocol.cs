namespace K8sWsProxy.Contracts.Channel;

/// <summary>Where and how the channel is reached; both sides read these, so they cannot disagree.</summary>
public static class ChannelProtocol
{
    /// <summary>The WebSocket endpoint on the operator's TLS listener.</summary>
    public const string Path = "/v1/channel";

    /// <summary>The audience of the projected service-account token the sidecar presents as a bearer token.</summary>
    public const string Audience = "k8s-ws-proxy";

    /// <summary>Largest frame either side accepts: a document carries PEM for every route of the pod.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;
}
