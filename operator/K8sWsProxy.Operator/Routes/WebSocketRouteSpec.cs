using System.Text.Json.Serialization;
using k8s.Models;
using K8sWsProxy.Contracts.Config;
using WebSocketOptions = K8sWsProxy.Contracts.Config.WebSocketOptions;

namespace K8sWsProxy.Operator.Routes;

/// <summary>
/// What the user asks for. The parts a sidecar document holds as they are reuse the contract records; only the
/// parts that name Kubernetes objects (the selector, Secrets) have types of their own.
/// </summary>
public sealed record WebSocketRouteSpec
{
    /// <summary>Pods of the route's namespace whose sidecar serves it; an empty selector selects every sidecar pod.</summary>
    public V1LabelSelector Selector { get; init; } = new();

    public RouteMatch Match { get; init; } = new();

    public RouteTls? Tls { get; init; }

    public RouteUpstream Upstream { get; init; } = new();

    /// <summary>"websocket", as users write it; camelCase would make it "webSocket", and KubernetesJson matches case-sensitively.</summary>
    [JsonPropertyName("websocket")]
    public WebSocketOptions WebSocket { get; init; } = new();

    public HeadersConfig Headers { get; init; } = new();

    public TimeoutsConfig Timeouts { get; init; } = new();

    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Message rules; absent, messages are relayed as they are.</summary>
    public MessagesConfig? Messages { get; init; }
}
