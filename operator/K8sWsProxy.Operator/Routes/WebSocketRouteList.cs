using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace K8sWsProxy.Operator.Routes;

/// <summary>What a list of routes comes back as.</summary>
public sealed class WebSocketRouteList : IKubernetesObject<V1ListMeta>, IItems<WebSocketRoute>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = WebSocketRoute.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = WebSocketRoute.KindName + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<WebSocketRoute> Items { get; set; } = [];
}
