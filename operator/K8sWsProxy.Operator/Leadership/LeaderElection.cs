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
            await ReleaseAsync();
        }
    }

    /// <summary>
    /// On a graceful stop a replica still named as the Lease's holder empties it (client-go's ReleaseOnCancel), so
    /// another replica takes over at its next retry instead of after a whole lease duration. Best effort: a crash
    /// skips it. (The elector has already reported the loss by now, so the Lease, not our flag, says who held it.)
    /// </summary>
    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.RenewDeadline);
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaderElectionName, options.LeaderElectionNamespace, cancellationToken: timeout.Token);
            if (lease.Spec.HolderIdentity != options.Identity)
            {
                return;
            }

            // Empty, not absent: the client's elector reads an absent holder as "no Lease yet" and would try to create one.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaderElectionName, options.LeaderElectionNamespace, cancellationToken: timeout.Token);
            Log.LeaseReleased(logger, options.Identity);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            Log.LeaderElectionError(logger, "could not release the lease: " + e.Message);
        }
    }
}
