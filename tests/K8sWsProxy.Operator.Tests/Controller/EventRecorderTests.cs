using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Events;
using K8sWsProxy.Operator.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>Events as client-go's recorder makes them, against the API emulator: repeats counted on one event, a budget per route.</summary>
public sealed class EventRecorderTests : IAsyncLifetime
{
    private static readonly WebSocketRoute Route = new()
    {
        ApiVersion = "k8swsproxy.io/v1alpha1",
        Kind = "WebSocketRoute",
        Metadata = new V1ObjectMeta { Name = "chat", NamespaceProperty = "default", Uid = "uid-chat" },
    };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private KubeApiEmulator _kube = null!;
    private Kubernetes _client = null!;
    private EventRecorder _events = null!;

    public async Task InitializeAsync()
    {
        _kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions());
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_kube.KubeconfigPath));
        _events = new EventRecorder(_client, new OperatorOptions { Identity = "test" }, _time, NullLogger<EventRecorder>.Instance);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _kube.DisposeAsync();
    }

    private async Task<List<Corev1Event>> ListAsync() => [.. (await _client.CoreV1.ListNamespacedEventAsync("default")).Items.OrderBy(e => e.FirstTimestamp)];

    [Fact]
    public async Task A_repeated_event_is_one_event_whose_count_and_last_time_move()
    {
        await _events.RecordAsync(Route, "Warning", "Rejected", "sidecar demo/chat-0 rejected document x", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        await _events.RecordAsync(Route, "Warning", "Rejected", "sidecar demo/chat-0 rejected document x", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        await _events.RecordAsync(Route, "Warning", "Rejected", "sidecar demo/chat-0 rejected document x", CancellationToken.None);

        var e = Assert.Single(await ListAsync());
        Assert.Equal((3, new DateTime(2026, 1, 1, 12, 0, 0), new DateTime(2026, 1, 1, 12, 1, 0)), (e.Count, e.FirstTimestamp, e.LastTimestamp));
        Assert.Equal(("chat", "uid-chat", "k8s-ws-proxy-operator"), (e.InvolvedObject.Name, e.InvolvedObject.Uid, e.Source.Component));

        // Another message is another event; one that was deleted (or expired) is made again.
        await _events.RecordAsync(Route, "Normal", "Synced", "3/3 sidecars on revision sha256:abc", CancellationToken.None);
        Assert.Equal(2, (await ListAsync()).Count);
        await _client.CoreV1.DeleteNamespacedEventAsync(e.Metadata.Name, "default");
        await _events.RecordAsync(Route, "Warning", "Rejected", "sidecar demo/chat-0 rejected document x", CancellationToken.None);
        var again = (await ListAsync()).Single(x => x.Reason == "Rejected");
        Assert.Equal(1, again.Count);
    }

    [Fact]
    public async Task A_flapping_route_gets_25_events_then_one_per_5_minutes()
    {
        for (var i = 0; i < 40; i++)
        {
            await _events.RecordAsync(Route, "Warning", "Pending", $"flap {i}", CancellationToken.None);
        }

        Assert.Equal(EventBudget.Burst, (await ListAsync()).Count);

        // Another route has a budget of its own.
        var other = new WebSocketRoute { ApiVersion = Route.ApiVersion, Kind = Route.Kind, Metadata = new V1ObjectMeta { Name = "other", NamespaceProperty = "default", Uid = "uid-other" } };
        await _events.RecordAsync(other, "Normal", "Synced", "1/1", CancellationToken.None);
        Assert.Equal(EventBudget.Burst + 1, (await ListAsync()).Count);

        _time.Advance(EventBudget.Refill);
        await _events.RecordAsync(Route, "Warning", "Pending", "flap 40", CancellationToken.None);
        await _events.RecordAsync(Route, "Warning", "Pending", "flap 41", CancellationToken.None);
        Assert.Equal(EventBudget.Burst + 2, (await ListAsync()).Count);
        Assert.Contains(await ListAsync(), e => e.Message == "flap 40");
    }
}
