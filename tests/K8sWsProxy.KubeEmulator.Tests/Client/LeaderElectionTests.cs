using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>The client's LeaderElector over a Lease: GET/POST/PUT with optimistic concurrency, MicroTime kept verbatim.</summary>
public sealed class LeaderElectionTests
{
    [Fact]
    public async Task Two_candidates_one_leader_and_the_lease_passes_on_when_it_stops_renewing()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var leaders = new System.Collections.Concurrent.ConcurrentQueue<string>();

        LeaderElector Candidate(string identity)
        {
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(kube.Client, "default", "operator-leader", identity))
            {
                // Generous enough that a loaded 2-core machine does not miss renewals.
                LeaseDuration = TimeSpan.FromSeconds(3),
                RenewDeadline = TimeSpan.FromSeconds(2),
                RetryPeriod = TimeSpan.FromMilliseconds(100),
            });
            elector.OnStartedLeading += () => leaders.Enqueue(identity);
            return elector;
        }

        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        using var a = Candidate("a");
        var runA = a.RunUntilLeadershipLostAsync(stopA.Token);
        await Poll.UntilAsync(() => Task.FromResult(leaders.Contains("a")), "a to lead");

        using var b = Candidate("b");
        var runB = b.RunUntilLeadershipLostAsync(stopB.Token);
        // While a renews, b must not take over (a full lease duration and then some).
        await Task.WhenAny(runB, Task.Delay(TimeSpan.FromSeconds(3.5)));
        Assert.Equal(["a"], leaders);
        var lease = await kube.Client.CoordinationV1.ReadNamespacedLeaseAsync("operator-leader", "default");
        Assert.Equal("a", lease.Spec.HolderIdentity);

        await stopA.CancelAsync();
        await Poll.UntilAsync(() => Task.FromResult(leaders.Contains("b")), "b to take over", TimeSpan.FromSeconds(15));
        lease = await kube.Client.CoordinationV1.ReadNamespacedLeaseAsync("operator-leader", "default");
        Assert.Equal("b", lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);

        await stopB.CancelAsync();
        await Task.WhenAll(runA, runB).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
