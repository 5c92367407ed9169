using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using K8sWsProxy.Operator.Hosting;

namespace K8sWsProxy.Operator.Leadership;

/// <summary>
/// Lease-based leader election (client-go's, through KubernetesClient's LeaderElector): every replica serves
/// sidecars, only the leader writes status and events. Losing the lease only stops those writes; the
/// replica keeps competing for it.
/// </summary>
internal sealed class LeaderElection(IKubernetes client, OperatorOptions options, ILogger<LeaderElection> logger) : BackgroundService
{
    private volatile bool _leading;

    public bool IsLeader => _leading;

    /// <summary>Raised when this replica starts leading: the status it did not write meanwhile is now its job.</summary>
    public event Action? StartedLeading;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = new LeaderElectionConfig(new LeaseLock(client, options.LeaderElectionNamespace, options.LeaderElectionName, options.Identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        };
        using var elector = new LeaderElector(config);
        elector.OnStartedLeading += () =>
        {
            _leading = true;
            Log.StartedLeading(logger, options.Identity, options.LeaderElectionNamespace, options.LeaderElectionName);
            StartedLeading?.Invoke();
        };
        elector.OnStoppedLeading += () =>
        {
            _leading = false;
            Log.StoppedLeading(logger, options.Identity);
        };
        elector.OnNewLeader += leader => Log.NewLeader(logger, leader);
        elector.OnError += e => Log.LeaderElectionError(logger, e.Message);
        try
        {
            await elector.RunAndTryToHoldLeadershipForeverAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _leading = false;
        }
    }
}
