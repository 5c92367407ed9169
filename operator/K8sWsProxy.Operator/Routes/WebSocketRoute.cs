using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace K8sWsProxy.Operator.Routes;

/// <summary>The custom resource a user applies; serialized by <see cref="KubernetesJson"/> like any built-in kind.</summary>
public sealed class WebSocketRoute : IKubernetesObject<V1ObjectMeta>, ISpec<WebSocketRouteSpec>, IStatus<WebSocketRouteStatus?>
{
    public const string Group = "k8swsproxy.io";
    public const string Version = "v1alpha1";
    public const string Plural = "websocketroutes";
    public const string ShortName = "wsr";
    public const string Category = "wsproxy";
    public const string KindName = "WebSocketRoute";
    public const string GroupVersion = Group + "/" + Version;

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public WebSocketRouteSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public WebSocketRouteStatus? Status { get; set; }

    /// <summary>The API server always sets it; "default" covers objects built by hand, as kubectl does.</summary>
    [JsonIgnore]
    public string Namespace => Metadata.NamespaceProperty ?? "default";

    /// <summary>"namespace/name", as the config document and the logs name the route.</summary>
    [JsonIgnore]
    public string Key => $"{Namespace}/{Metadata.Name}";
}
