using System.Text.Json;
using k8s;
using k8s.Models;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Informers;

/// <summary>The list+watch pairs of the three kinds the operator reads, for one namespace or (null) all.</summary>
internal static class KubeListWatches
{
    /// <summary>Server-side watches end after this long and are resumed: a stuck connection cannot last forever.</summary>
    private const int WatchTimeoutSeconds = 300;

    public static ListWatch<WebSocketRoute> Routes(IKubernetes client, string? ns) => new(
        $"websocketroutes in {ns ?? "all namespaces"}",
        async ct =>
        {
            var list = ns is null
                ? await client.CustomObjects.ListCustomObjectForAllNamespacesAsync<WebSocketRouteList>(WebSocketRoute.Group, WebSocketRoute.Version, WebSocketRoute.Plural, cancellationToken: ct)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync<WebSocketRouteList>(WebSocketRoute.Group, WebSocketRoute.Version, ns, WebSocketRoute.Plural, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => Typed(ns is null
            ? client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(
                WebSocketRoute.Group, WebSocketRoute.Version, WebSocketRoute.Plural, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                WebSocketRoute.Group, WebSocketRoute.Version, ns, WebSocketRoute.Plural, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static ListWatch<V1Pod> SidecarPods(IKubernetes client, string? ns, string labelSelector) => new(
        $"sidecar pods ({labelSelector}) in {ns ?? "all namespaces"}",
        async ct =>
        {
            var list = ns is null
                ? await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct)
                : await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: labelSelector, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => ns is null
            ? client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    public static ListWatch<V1Secret> Secrets(IKubernetes client, string? ns) => new(
        $"secrets in {ns ?? "all namespaces"}",
        async ct =>
        {
            var list = ns is null
                ? await client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: ct)
                : await client.CoreV1.ListNamespacedSecretAsync(ns, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => ns is null
            ? client.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CoreV1.WatchListNamespacedSecretAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    /// <summary>The custom-object watch hands out untyped JSON; the informer wants routes.</summary>
    private static async IAsyncEnumerable<(WatchEventType, WebSocketRoute)> Typed(IAsyncEnumerable<(WatchEventType Type, object Object)> events)
    {
        await foreach (var (type, item) in events)
        {
            yield return (type, KubernetesJson.Deserialize<WebSocketRoute>(item is JsonElement json ? json.GetRawText() : KubernetesJson.Serialize(item)));
        }
    }
}
