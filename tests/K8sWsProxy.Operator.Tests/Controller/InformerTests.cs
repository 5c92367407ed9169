using System.Runtime.CompilerServices;
using K8sWsProxy.Operator.Informers;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>The informer's reflector logic against a scripted server: what it lists, where it resumes, what it reports.</summary>
public sealed class InformerTests
{
    private static V1Pod Pod(string name, string rv) => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "demo", ResourceVersion = rv } };

    private static V1Pod Bookmark(string rv) => new() { Metadata = new V1ObjectMeta { ResourceVersion = rv } };

    /// <summary>A server whose lists and watches follow a script; each watch is one step of <see cref="Watches"/>.</summary>
    private sealed class ScriptedServer
    {
        public List<(IReadOnlyList<V1Pod> Items, string ResourceVersion)> Lists { get; } = [];

        public Queue<Func<Action<Exception>, IEnumerable<(WatchEventType, V1Pod)>>> Watches { get; } = new();

        public List<string> WatchedFrom { get; } = [];

        public int ListCalls { get; private set; }

        public ListWatch<V1Pod> Source => new(
            "scripted pods",
            _ => Task.FromResult(Lists[Math.Min(ListCalls++, Lists.Count - 1)]),
            Watch);

        private async IAsyncEnumerable<(WatchEventType, V1Pod)> Watch(string rv, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
        {
            WatchedFrom.Add(rv);
            if (!Watches.TryDequeue(out var step))
            {
                await Task.Delay(Timeout.Infinite, ct);
                yield break;
            }

            foreach (var e in step(onError))
            {
                yield return e;
            }
        }
    }

    private static Exception Gone() => new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version" });

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_watch_that_ends_resumes_from_the_last_event_or_bookmark_without_relisting()
    {
        var server = new ScriptedServer();
        server.Lists.Add(([Pod("a", "10")], "10"));
        server.Watches.Enqueue(_ => [(WatchEventType.Added, Pod("b", "11")), (WatchEventType.Bookmark, Bookmark("15"))]);
        server.Watches.Enqueue(_ => [(WatchEventType.Modified, Pod("a", "16"))]);
        var informer = new Informer<V1Pod>(server.Source, NullLogger.Instance, TimeProvider.System);
        var changes = new List<string>();
        informer.Changed += (old, now) => changes.Add($"{old?.Metadata.ResourceVersion ?? "-"}>{now?.Metadata.ResourceVersion ?? "-"}");
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        await UntilAsync(() => server.WatchedFrom.Count == 3);
        Assert.Equal(["10", "15", "16"], server.WatchedFrom);
        Assert.Equal(1, informer.Lists);
        Assert.Equal(["->10", "->11", "10>16"], changes);
        Assert.Equal(["a", "b"], informer.Items.Select(p => p.Metadata.Name).Order());

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Gone_410_relists_and_reports_exactly_what_changed_meanwhile()
    {
        var server = new ScriptedServer();
        server.Lists.Add(([Pod("a", "10"), Pod("b", "10"), Pod("c", "10")], "10"));
        server.Lists.Add(([Pod("a", "10"), Pod("b", "30"), Pod("d", "31")], "40"));
        server.Watches.Enqueue(onError =>
        {
            onError(Gone());
            return [];
        });
        var informer = new Informer<V1Pod>(server.Source, NullLogger.Instance, TimeProvider.System);
        await using var recorder = new Recorder(informer);

        await UntilAsync(() => server.WatchedFrom.Count == 2);
        Assert.Equal(["10", "40"], server.WatchedFrom);
        Assert.Equal(2, informer.Lists);
        // The relist: b changed, d is new, c was deleted; a is unchanged and not reported again.
        Assert.Equal(["a:->10", "b:->10", "c:->10", "b:10>30", "d:->31", "c:10>-"], recorder.Changes);
        Assert.Equal(["a", "b", "d"], informer.Items.Select(p => p.Metadata.Name).Order());
    }

    [Fact]
    public async Task Other_errors_back_off_and_resume_from_the_same_point()
    {
        var server = new ScriptedServer();
        server.Lists.Add(([Pod("a", "10")], "10"));
        server.Watches.Enqueue(onError =>
        {
            onError(new KubernetesException(new V1Status { Code = 500, Reason = "InternalError" }));
            return [];
        });
        var informer = new Informer<V1Pod>(server.Source, NullLogger.Instance, TimeProvider.System);
        await using var recorder = new Recorder(informer);

        await UntilAsync(() => server.WatchedFrom.Count == 2);
        Assert.Equal(["10", "10"], server.WatchedFrom);
        Assert.Equal(1, informer.Lists);
    }

    /// <summary>Runs an informer and records its changes as "name:oldRV>newRV" until disposed.</summary>
    private sealed class Recorder : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Recorder(Informer<V1Pod> informer)
        {
            informer.Changed += (old, now) =>
            {
                lock (Changes)
                {
                    Changes.Add($"{(old ?? now)!.Metadata.Name}:{old?.Metadata.ResourceVersion ?? "-"}>{now?.Metadata.ResourceVersion ?? "-"}");
                }
            };
            _run = informer.RunAsync(_stop.Token);
        }

        public List<string> Changes { get; } = [];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            _stop.Dispose();
        }
    }
}
