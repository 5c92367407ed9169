using k8s;
using k8s.Models;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Routes;

namespace K8sWsProxy.Operator.Informers;

/// <summary>The operator's view of the cluster: routes, sidecar pods and Secrets of the watched namespaces.</summary>
internal sealed class ClusterCache
{
    public ClusterCache(IKubernetes client, OperatorOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        IReadOnlyList<string?> scopes = options.Namespaces.Count == 0 ? [null] : [.. options.Namespaces];
        var logger = loggers.CreateLogger<ClusterCache>();
        Routes = new([.. scopes.Select(ns => new Informer<WebSocketRoute>(KubeListWatches.Routes(client, ns), logger, time))]);
        Pods = new([.. scopes.Select(ns => new Informer<V1Pod>(KubeListWatches.SidecarPods(client, ns, options.SidecarSelector), logger, time))]);
        Secrets = new([.. scopes.Select(ns => new Informer<V1Secret>(KubeListWatches.Secrets(client, ns), logger, time))]);
    }

    public InformerGroup<WebSocketRoute> Routes { get; }

    public InformerGroup<V1Pod> Pods { get; }

    public InformerGroup<V1Secret> Secrets { get; }

    public Task Synced => Task.WhenAll(Routes.Synced, Pods.Synced, Secrets.Synced);

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Routes.RunAsync(cancellationToken), Pods.RunAsync(cancellationToken), Secrets.RunAsync(cancellationToken));
}
