using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Events;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Informers;
using K8sWsProxy.Operator.Leadership;
using K8sWsProxy.Operator.Reconcile;
using K8sWsProxy.Operator.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>The report step against the API emulator: leader only, through /status, only on change, Events on transitions.</summary>
public sealed class StatusWriterTests
{
    private const string Route = """
        apiVersion: k8swsproxy.io/v1alpha1
        kind: WebSocketRoute
        metadata: {name: chat, namespace: default}
        spec:
          selector: {matchLabels: {app: chat}}
          upstream: {endpoints: [{url: "ws://127.0.0.1:8080/"}]}
        """;

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Only_the_leader_writes_only_changes_and_each_new_Ready_reason_is_an_event()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("status-writer-").FullName, "route.yaml");
        await File.WriteAllTextAsync(file, Route);
        await using var kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions { Preload = { RepoPaths.Crd, file } });
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kube.KubeconfigPath));
        var options = new OperatorOptions { Identity = "test", LeaseDuration = TimeSpan.FromSeconds(2), RenewDeadline = TimeSpan.FromSeconds(1), RetryPeriod = TimeSpan.FromMilliseconds(100) };
        var cache = new ClusterCache(client, options, NullLoggerFactory.Instance, TimeProvider.System);
        var state = new CompiledState();
        var hub = new ChannelHub();
        var reconciler = new ConfigReconciler(cache, hub, state, NullLogger<ConfigReconciler>.Instance);
        using var leader = new LeaderElection(client, options, NullLogger<LeaderElection>.Instance);
        var writer = new StatusWriter(client, cache, state, hub, leader, new EventRecorder(client, options, TimeProvider.System, NullLogger<EventRecorder>.Instance), TimeProvider.System, NullLogger<StatusWriter>.Instance);
        using var stop = new CancellationTokenSource();
        var informers = cache.RunAsync(stop.Token);
        await cache.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        async Task<WebSocketRoute> ReadAsync() => KubernetesJson.Deserialize<WebSocketRoute>(KubernetesJson.Serialize(
            await client.CustomObjects.GetNamespacedCustomObjectAsync(WebSocketRoute.Group, WebSocketRoute.Version, "default", WebSocketRoute.Plural, "chat")));
        async Task<IList<Corev1Event>> EventsAsync() => (await client.CoreV1.ListNamespacedEventAsync("default")).Items;

        // Not leading: nothing is written.
        reconciler.Reconcile(TimeProvider.System.GetTimestamp());
        await writer.WriteAsync("default/chat", CancellationToken.None);
        Assert.Null((await ReadAsync()).Status);

        await leader.StartAsync(stop.Token);
        await UntilAsync(() => Task.FromResult(leader.IsLeader), "leadership");
        await writer.WriteAsync("default/chat", CancellationToken.None);
        var written = await ReadAsync();
        Assert.Equal((RouteReasons.NoSidecars, "0/0"), (written.Status!.Conditions.Single(c => c.Type == RouteReasons.ReadyType).Reason, written.Status.Sidecars.Summary));
        Assert.Equal(1, written.Metadata.Generation);
        var noSidecars = Assert.Single(await EventsAsync());
        Assert.Equal(("Warning", RouteReasons.NoSidecars, "chat"), (noSidecars.Type, noSidecars.Reason, noSidecars.InvolvedObject.Name));

        // Nothing changed: no write (the resourceVersion stays), no event.
        await UntilAsync(() => Task.FromResult(cache.Routes.Get("default/chat")?.Status is not null), "the cache to see the status");
        await writer.WriteAsync("default/chat", CancellationToken.None);
        Assert.Equal(written.Metadata.ResourceVersion, (await ReadAsync()).Metadata.ResourceVersion);
        Assert.Single(await EventsAsync());

        // A sidecar pod appears and acks its document (as the channel would record it): Pending, then Synced.
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "chat-0", Labels = new Dictionary<string, string> { ["app"] = "chat", ["k8swsproxy.io/sidecar"] = "true" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "echo" }] },
        }, "default");
        await UntilAsync(() => Task.FromResult(cache.Pods.Get("default/chat-0") is not null), "the pod in the cache");
        reconciler.Reconcile(TimeProvider.System.GetTimestamp());
        await writer.WriteAsync("default/chat", CancellationToken.None);
        Assert.Equal("0/1", (await ReadAsync()).Status!.Sidecars.Summary);

        var served = new SidecarReport(new DocumentRoutes("sha256:document", new Dictionary<string, string> { ["default/chat"] = state.Verdict("default/chat")!.Revision! }));
        var annotations = SidecarAnnotations.Of(served).Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value!);
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(KubernetesJson.Serialize(new V1Pod { Metadata = new V1ObjectMeta { Annotations = annotations } }), V1Patch.PatchType.MergePatch), "chat-0", "default");
        await UntilAsync(() => Task.FromResult(cache.Pods.Get("default/chat-0")?.Metadata.Annotations is not null), "the ack in the cache");
        await writer.WriteAsync("default/chat", CancellationToken.None);
        var synced = await ReadAsync();
        Assert.Equal(("True", RouteReasons.Synced, "1/1"), (synced.Status!.Conditions.Single(c => c.Type == RouteReasons.ReadyType).Status, synced.Status.Conditions.Single(c => c.Type == RouteReasons.ReadyType).Reason, synced.Status.Sidecars.Summary));
        Assert.Equal(["NoSidecars", "Synced"], (await EventsAsync()).Select(e => e.Reason).Order());

        await leader.StopAsync(CancellationToken.None);
        await stop.CancelAsync();
        await informers;
    }
}
