using System.Diagnostics;
using k8s;
using k8s.Models;
using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Propagation;

/// <summary>
/// Many routes at once on a <see cref="LocalCluster"/> spread over namespaces: <c>routesPerNamespace</c> routes in every
/// namespace, each selecting that namespace's sidecar pods on a path of its own, created through the API together
/// (16 at a time), then one of them changed. Timed from the first create to every route Ready and synced on all its
/// pods (a watch on every route), and from the change to that route Ready at its new generation; the operator's
/// status writes (its log lines) and resident memory alongside.
/// </summary>
internal sealed class ScaleScenario(LocalCluster cluster, int routesPerNamespace, TextWriter log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly object gate = new();
    private readonly Dictionary<string, ChangeTracker.RouteState> routes = new(StringComparer.Ordinal);
    private int statusWrites;

    public async Task<Dictionary<string, double>> RunAsync(CancellationToken cancel)
    {
        cluster.Operator.LineReceived += line =>
        {
            if (line.Contains("Status of ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref statusWrites);
            }
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var watch = RouteWatch.RunAsync(cluster.Client, ns: null, fieldSelector: null, (json, _) =>
        {
            if (ChangeTracker.Parse(json) is { } state)
            {
                var meta = json.GetProperty("metadata");
                lock (gate)
                {
                    routes[$"{meta.GetProperty("namespace").GetString()}/{meta.GetProperty("name").GetString()}"] = state;
                }
            }
        }, stop.Token);
        var sidecarsPerNamespace = cluster.Sidecars.Count / cluster.Namespaces.Count;
        var all = cluster.Namespaces.SelectMany(ns => Enumerable.Range(0, routesPerNamespace).Select(n => (Namespace: ns, Name: $"route-{n:D2}"))).ToList();

        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancel }, async (route, ct) =>
            await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route(route.Namespace, route.Name), "k8swsproxy.io", "v1alpha1", route.Namespace, "websocketroutes", cancellationToken: ct));
        var created = Stopwatch.GetElapsedTime(start);
        var ready = await UntilAsync(() => all.All(r => IsReady(r, 1, sidecarsPerNamespace)), start, cancel);
        var writesToReady = Volatile.Read(ref statusWrites);
        log.WriteLine($"    {all.Count} routes in {cluster.Namespaces.Count} namespaces on {cluster.Sidecars.Count} sidecars: created in {created.TotalMilliseconds:0} ms, all Ready {ready.TotalMilliseconds:0} ms after the first create, {writesToReady} status writes");
        var rss = ProcFs.TreeRssBytes(cluster.Operator.Pid) / 1048576.0;

        // Quiet: nothing more to write once everything is Ready. The log line of the write that made the last route
        // Ready can come after the watch event (a busy machine): the window starts a second later.
        await Task.Delay(1000, cancel);
        var settled = Volatile.Read(ref statusWrites);
        await Task.Delay(2000, cancel);
        var quietWrites = Volatile.Read(ref statusWrites) - settled;

        var changed = all[all.Count / 2];
        var writesBefore = Volatile.Read(ref statusWrites);
        var changeStart = Stopwatch.GetTimestamp();
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"headers":{"set":{"x-bench-change":"1"}}}}""", V1Patch.PatchType.MergePatch),
            "k8swsproxy.io", "v1alpha1", changed.Namespace, "websocketroutes", changed.Name, cancellationToken: cancel);
        var change = await UntilAsync(() => IsReady(changed, 2, sidecarsPerNamespace), changeStart, cancel);
        await Task.Delay(1000, cancel);
        var changeWrites = Volatile.Read(ref statusWrites) - writesBefore;
        log.WriteLine($"    one route changed: Ready at its new generation after {change.TotalMilliseconds:0} ms, {changeWrites} status writes; operator {rss:0} MiB resident; {quietWrites} status writes in 2 s at rest");

        await stop.CancelAsync();
        await watch;
        return new()
        {
            ["create"] = created.TotalMilliseconds,
            ["ready"] = ready.TotalMilliseconds,
            ["writes"] = writesToReady,
            ["writesps"] = writesToReady / ready.TotalSeconds,
            ["change"] = change.TotalMilliseconds,
            ["changewrites"] = changeWrites,
            ["quietwrites"] = quietWrites,
            ["rss"] = rss,
        };
    }

    private bool IsReady((string Namespace, string Name) route, long generation, int sidecars)
    {
        lock (gate)
        {
            return routes.TryGetValue($"{route.Namespace}/{route.Name}", out var s)
                && s.Generation == generation && s.ObservedGeneration == generation && s.Ready && s.Synced == sidecars && s.Selected == sidecars;
        }
    }

    private static async Task<TimeSpan> UntilAsync(Func<bool> done, long start, CancellationToken cancel)
    {
        while (!done())
        {
            if (Stopwatch.GetElapsedTime(start) > Timeout)
            {
                throw new TimeoutException($"not done within {Timeout.TotalMinutes:0} min");
            }

            await Task.Delay(10, cancel);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    private static object Route(string ns, string name) => new
    {
        apiVersion = "k8swsproxy.io/v1alpha1",
        kind = "WebSocketRoute",
        metadata = new { name, @namespace = ns },
        spec = new
        {
            selector = new { matchLabels = new Dictionary<string, string> { ["app"] = "chat" } },
            match = new { path = $"/{name}" },
            upstream = new { endpoints = new[] { new { url = $"ws://127.0.0.1:9/{ns}/{name}" } } },
        },
    };
}
