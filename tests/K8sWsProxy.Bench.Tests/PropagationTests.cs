using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Propagation;
using K8sWsProxy.Bench.Systems;

namespace K8sWsProxy.Bench.Tests;

/// <summary>The operator scenarios of `make bench`, small: they must keep measuring what they say they measure.</summary>
public class PropagationTests
{
    /// <summary>A <see cref="LocalCluster"/> in a work folder of its own, removed afterwards.</summary>
    private static async Task WithClusterAsync(int sidecars, int namespaces, Func<SystemSettings, LocalCluster, Task> test)
    {
        var work = Directory.CreateTempSubdirectory("bench-cluster-").FullName;
        var settings = new SystemSettings(BenchOptions.Parse([]).Repo, work, "0", 0, 1024);
        try
        {
            await using var cluster = await LocalCluster.StartAsync(settings, sidecars, File.ReadAllText("/sys/devices/system/cpu/online").Trim(), CancellationToken.None, namespaces);
            await test(settings, cluster);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public Task Each_change_is_timed_to_every_sidecar_serving_and_acking_it_and_to_the_status() =>
        WithClusterAsync(sidecars: 2, namespaces: 1, async (settings, cluster) =>
        {
            var log = new StringWriter();
            var changes = await new PropagationScenario(settings, cluster, Environment.ProcessorCount, log).RunAsync(warmup: 0, changes: 2, CancellationToken.None);

            Assert.Equal(2, changes.Count);
            foreach (var change in changes)
            {
                Assert.Equal(["fanout", "acked", "applied", "status", "kubectl", "cpu", "cpupersidecar"], change.Keys);
                Assert.All(change, m => Assert.True(double.IsFinite(m.Value) && m.Value > 0, $"{m.Key} = {m.Value}\n{log}"));
            }

            // What the sidecars served is the edited route: the header of the last change reached them.
            Assert.All(cluster.Sidecars.Keys, pod => Assert.Contains("x-bench-change", File.ReadAllText(Path.Combine(cluster.Directory, pod + "-state", "last-good-document.json")), StringComparison.Ordinal));
        });

    [Fact]
    public Task The_scale_scenario_times_every_route_to_Ready_and_one_change_and_counts_status_writes() =>
        WithClusterAsync(sidecars: 4, namespaces: 2, async (_, cluster) =>
        {
            Assert.Equal(["ns-00", "ns-01"], cluster.Namespaces);
            var log = new StringWriter();
            var result = await new ScaleScenario(cluster, routesPerNamespace: 3, log).RunAsync(CancellationToken.None);

            Assert.Equal(["create", "ready", "writes", "writesps", "change", "changewrites", "quietwrites", "rss"], result.Keys);
            Assert.All(result.Where(m => m.Key != "quietwrites"), m => Assert.True(double.IsFinite(m.Value) && m.Value > 0, $"{m.Key} = {m.Value}\n{log}"));
            // Each route's status is written at least once on its way to Ready; nothing is written at rest.
            Assert.True(result["writes"] >= 6, log.ToString());
            Assert.Equal(0, result["quietwrites"]);
        });
}
