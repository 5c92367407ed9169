using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Compilation;
using K8sWsProxy.Operator.Informers;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>
/// Compute and push: the caches as they are now, through the pure compiler, to the connected sidecars. Status is
/// the next step's business; this returns the routes whose status must be looked at.
/// </summary>
internal sealed class ConfigReconciler(ClusterCache cache, ChannelHub hub, CompiledState state, ILogger<ConfigReconciler> logger)
{
    /// <param name="changeSeenAt">When the change that asked for this was seen (a <see cref="TimeProvider"/> timestamp).</param>
    public IReadOnlyList<string> Reconcile(long changeSeenAt)
    {
        var snapshot = new RouteSnapshot(
            [.. cache.Routes.Items.Where(r => r.Metadata.DeletionTimestamp is null)],
            [.. cache.Pods.Items.Where(p => p.Metadata.DeletionTimestamp is null)],
            [.. cache.Secrets.Items]);
        var result = ConfigCompiler.Compile(snapshot);
        state.Set(result);
        var changed = hub.Publish(result.Documents, changeSeenAt);
        Log.Compiled(logger, snapshot.Routes.Count, result.Documents.Count, changed);
        return [.. result.Verdicts.Select(v => v.Key)];
    }
}
