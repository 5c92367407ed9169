using System.Text.Json.Serialization;

namespace K8sWsProxy.Contracts.Config;

/// <summary>One WebSocket route: what it matches, where it goes and how its connections behave.</summary>
public sealed record RouteConfig
{
    public string Name { get; init; } = "";

    public string Namespace { get; init; } = "default";

    public RouteMatch Match { get; init; } = new();

    /// <summary>Downstream TLS: the certificate served for this route's hosts on the TLS listener.</summary>
    public DownstreamTlsConfig? Tls { get; init; }

    public UpstreamConfig Upstream { get; init; } = new();

    /// <summary>Spelled "websocket" in YAML and JSON, as in the WebSocketRoute spec.</summary>
    [JsonPropertyName("websocket")]
    public WebSocketOptions WebSocket { get; init; } = new();

    public HeadersConfig Headers { get; init; } = new();

    public TimeoutsConfig Timeouts { get; init; } = new();

    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Message rules; null relays messages as they are.</summary>
    public MessagesConfig? Messages { get; init; }

    /// <summary>"namespace/name": how routes are named in logs, metrics and errors.</summary>
    [JsonIgnore]
    public string Key => $"{Namespace}/{Name}";
}
