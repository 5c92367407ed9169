using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Informers;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>The informer through the real KubernetesClient against the API emulator: bookmarks, dropped watches, 410.</summary>
public sealed class InformerEmulatorTests
{
    private const string Selector = "k8swsproxy.io/sidecar=true";

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["k8swsproxy.io/sidecar"] = "true" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "echo" }] },
    };

    private static V1ConfigMap Unwatched(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Bookmarks_move_the_resume_point_so_a_dropped_watch_resumes_and_only_410_relists()
    {
        await using var kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(300) });
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kube.KubeconfigPath));
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        var informer = new Informer<V1Pod>(KubeListWatches.SidecarPods(client, "default", Selector), NullLogger.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        // A change the watch does not see; only a bookmark can carry the informer past it.
        var unseen = long.Parse((await client.CoreV1.CreateNamespacedConfigMapAsync(Unwatched("c1"), "default")).Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        await UntilAsync(() => long.Parse(informer.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture) >= unseen, "a bookmark past the unseen change");
        kube.CompactHistory();
        kube.DropWatches();
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p2"), "default");
        await UntilAsync(() => informer.Get("default/p2") is not null, "p2 through the resumed watch");
        Assert.Equal(1, informer.Lists);

        // Now the resume point is behind the compacted history: 410 Gone, a relist, and nothing is missed.
        // (A bookmark landing between the change and the drop would save the resume point: then try again.)
        for (var attempt = 0; attempt < 5 && informer.Lists < 2; attempt++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(Unwatched($"c2-{attempt}"), "default");
            kube.CompactHistory();
            kube.DropWatches();
            var deadline = DateTime.UtcNow.AddSeconds(2);
            while (informer.Lists < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }

        await client.CoreV1.DeleteNamespacedPodAsync("p1", "default");
        await UntilAsync(() => informer.Get("default/p1") is null, "p1's deletion");
        Assert.Equal(2, informer.Lists);
        Assert.Equal(["p2"], informer.Items.Select(p => p.Metadata.Name));

        await stop.CancelAsync();
        await run;
    }
}
