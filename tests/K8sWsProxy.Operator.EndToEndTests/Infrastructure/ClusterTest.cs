namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>
/// A test class on the shared <see cref="ProxyCluster"/>: every test starts without routes, because the routes a
/// test applied are deleted, and gone from every sidecar, after it.
/// </summary>
public abstract class ClusterTest(ProxyCluster cluster) : IAsyncLifetime
{
    protected ProxyCluster Cluster { get; } = cluster;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Cluster.DeleteRoutesAsync();
}
