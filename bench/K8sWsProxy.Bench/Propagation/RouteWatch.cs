using System.Text.Json;
using k8s;

namespace K8sWsProxy.Bench.Propagation;

/// <summary>A watch on WebSocketRoutes that the scenarios keep open: reopened whenever the server ends it, until cancelled.</summary>
internal static class RouteWatch
{
    /// <param name="ns">One namespace, or null for all.</param>
    /// <param name="onRoute">Each route object as an event brings it, with the moment it arrived (Stopwatch ticks).</param>
    public static async Task RunAsync(Kubernetes client, string? ns, string? fieldSelector, Action<JsonElement, long> onRoute, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                var events = ns is null
                    ? client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync("k8swsproxy.io", "v1alpha1", "websocketroutes", fieldSelector: fieldSelector, cancellationToken: cancel)
                    : client.CustomObjects.WatchListNamespacedCustomObjectAsync("k8swsproxy.io", "v1alpha1", ns, "websocketroutes", fieldSelector: fieldSelector, cancellationToken: cancel);
                await foreach (var (_, item) in events)
                {
                    if (item is JsonElement json)
                    {
                        onRoute(json, System.Diagnostics.Stopwatch.GetTimestamp());
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                if (!cancel.IsCancellationRequested)
                {
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        }
    }
}
