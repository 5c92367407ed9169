using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>Hands YARP (the TLS listener's router) the routes of the active document; <see cref="Update"/> swaps them and signals the change.</summary>
internal sealed class DocumentProxyConfigProvider : IProxyConfigProvider
{
    private volatile Snapshot _current = new([], [], "empty");

    public IProxyConfig GetConfig() => _current;

    public void Update(IReadOnlyList<Contracts.Config.RouteConfig> routes, string revision)
    {
        var previous = _current;
        _current = new Snapshot([.. routes.Select(YarpConfigBuilder.Route)], [.. routes.Select(YarpConfigBuilder.Cluster)], revision);
        previous.SignalChange();
    }

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, string revision) : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public string RevisionId { get; } = revision;

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();
    }
}
