using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Leadership;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Controller;

public sealed class LeaderElectionTests
{
    private static async Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task One_replica_leads_and_a_graceful_stop_hands_over_well_before_the_lease_would_expire()
    {
        await using var kube = await KubeApiEmulator.StartAsync();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kube.KubeconfigPath));
        OperatorOptions Options(string identity) => new()
        {
            Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(15),
            RenewDeadline = TimeSpan.FromSeconds(10),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        using var a = new LeaderElection(client, Options("a"), NullLogger<LeaderElection>.Instance);
        using var b = new LeaderElection(client, Options("b"), NullLogger<LeaderElection>.Instance);

        await a.StartAsync(CancellationToken.None);
        await UntilAsync(() => a.IsLeader, "a to lead", TimeSpan.FromSeconds(10));
        await b.StartAsync(CancellationToken.None);
        await Task.Delay(600);
        Assert.False(b.IsLeader);

        await a.StopAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        // Without the release, b would wait out the 15 s lease.
        await UntilAsync(() => b.IsLeader, "b to take over", TimeSpan.FromSeconds(5));
        await b.StopAsync(CancellationToken.None);
    }
}
