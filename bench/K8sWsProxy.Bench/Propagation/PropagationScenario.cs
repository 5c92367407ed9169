using System.Diagnostics;
using System.Globalization;
using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Propagation;

/// <summary>
/// Route changes through a <see cref="LocalCluster"/>: examples/route.yaml applied with kubectl, then edited and
/// re-applied change after change; each timed from the start of `kubectl apply` to kubectl's exit, to every sidecar
/// serving the new document, to the operator holding every sidecar's ack, and to the route's status saying so.
/// </summary>
internal sealed class PropagationScenario(SystemSettings settings, LocalCluster cluster, int cores, TextWriter log)
{
    private const string Route = "chat";
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(60);

    private readonly string example = File.ReadAllText(Path.Combine(settings.RepoRoot, "examples", "route.yaml"));

    /// <summary>Cluster CPU use under which it counts as at rest: a quarter of the machine.</summary>
    private readonly double restingCores = cores / 4.0;

    /// <summary>What the cluster used while at rest, in cores, as last measured.</summary>
    public double IdleCores { get; private set; } = double.NaN;

    /// <summary>
    /// The route with its Secrets, then <paramref name="warmup"/> unmeasured and <paramref name="changes"/> measured
    /// changes. Each change waits until the cluster is at rest again (the sidecars' background JIT after a new
    /// document, the operator's status writes), so one change's aftermath is not timed as part of the next.
    /// </summary>
    public async Task<List<Dictionary<string, double>>> RunAsync(int warmup, int changes, CancellationToken cancel)
    {
        using var tracker = new ChangeTracker(cluster, Route);
        await RestAsync(TimeSpan.FromSeconds(120), cancel);
        var first = await ChangeAsync(tracker, "route-0.yaml", example, cancel);
        log.WriteLine($"    {cluster.Sidecars.Count} sidecars at rest using {IdleCores:0.00} cores; examples/route.yaml applied: {Describe(first)}");
        var measured = new List<Dictionary<string, double>>();
        for (var n = 1; n <= warmup + changes && !cancel.IsCancellationRequested; n++)
        {
            await RestAsync(TimeSpan.FromSeconds(30), cancel);
            var values = await ChangeAsync(tracker, $"route-{n}.yaml", Edited(n), cancel);
            if (n > warmup)
            {
                measured.Add(values);
            }

            log.WriteLine($"    change {n}{(n <= warmup ? " (warm-up)" : "")}: {Describe(values)}");
        }

        return measured;
    }

    /// <summary>Until one second in which the cluster used less than a quarter of the machine's cores, or <paramref name="limit"/>.</summary>
    private async Task RestAsync(TimeSpan limit, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + limit;
        do
        {
            var before = cluster.CpuSeconds();
            var watch = Stopwatch.StartNew();
            await Task.Delay(1000, cancel);
            IdleCores = (cluster.CpuSeconds() - before) / watch.Elapsed.TotalSeconds;
        }
        while (IdleCores >= restingCores && DateTime.UtcNow < until);
    }

    /// <summary>The route document alone, with one request header whose value is the change number: a new document for every sidecar.</summary>
    private string Edited(int n)
    {
        var route = example[..example.IndexOf("\n---", StringComparison.Ordinal)];
        const string Headers = "headers: {set: {x-forwarded-by: k8s-ws-proxy}";
        return route.Contains(Headers, StringComparison.Ordinal)
            ? route.Replace(Headers, $"headers: {{set: {{x-forwarded-by: k8s-ws-proxy, x-bench-change: \"{n}\"}}", StringComparison.Ordinal)
            : throw new InvalidOperationException($"examples/route.yaml no longer has \"{Headers}\": update the propagation scenario");
    }

    private async Task<Dictionary<string, double>> ChangeAsync(ChangeTracker tracker, string file, string yaml, CancellationToken cancel)
    {
        var path = Path.Combine(cluster.Directory, file);
        await File.WriteAllTextAsync(path, yaml, cancel);
        var revisions = tracker.AppliedRevisions();
        var before = cluster.Sidecars.Keys.ToDictionary(pod => pod, pod => revisions.GetValueOrDefault(pod, ""), StringComparer.Ordinal);
        var generation = tracker.Generation();

        var fanOut = await FanOutAsync();
        var cpu = cluster.CpuSeconds();
        var start = Stopwatch.GetTimestamp();
        var exit = await cluster.ApplyAsync(path);
        var kubectlDone = Stopwatch.GetTimestamp();
        if (exit != 0)
        {
            throw new InvalidOperationException($"kubectl apply -f {path} exited with {exit}: see {cluster.Directory}/kubectl.log");
        }

        var until = start + (long)(ChangeTimeout.TotalSeconds * Stopwatch.Frequency);
        var progress = tracker.Progress(before, generation, before.Count);
        while (progress is not ({ } _, { } _, { } _) && Stopwatch.GetTimestamp() < until)
        {
            await Task.Delay(5, cancel);
            progress = tracker.Progress(before, generation, before.Count);
        }

        double Ms(long? at) => at is { } t ? Stopwatch.GetElapsedTime(start, t).TotalMilliseconds : double.NaN;
        var cpuMs = (cluster.CpuSeconds() - cpu) * 1000;
        var fanOutAfter = await FanOutAsync();
        return new()
        {
            ["fanout"] = fanOutAfter.Count > fanOut.Count ? (fanOutAfter.Sum - fanOut.Sum) / (fanOutAfter.Count - fanOut.Count) * 1000 : double.NaN,
            ["acked"] = Ms(progress.Acked),
            ["applied"] = Ms(progress.Applied),
            ["status"] = Ms(progress.Status),
            ["kubectl"] = Ms(kubectlDone),
            ["cpu"] = cpuMs,
            ["cpupersidecar"] = cpuMs / cluster.Sidecars.Count,
        };
    }

    /// <summary>The operator's fan-out histogram so far: a change's own fan-out is the difference across it.</summary>
    private async Task<(double Sum, double Count)> FanOutAsync()
    {
        var scrape = await Scrape.FromAsync(cluster.OperatorHealth);
        return (scrape.Value("wsproxy_operator_config_fanout_seconds_sum"), scrape.Value("wsproxy_operator_config_fanout_seconds_count"));
    }

    private static string Describe(Dictionary<string, double> values) =>
        string.Join(", ", values.Select(v => $"{v.Key} {(double.IsNaN(v.Value) ? $"not within {ChangeTimeout.TotalSeconds:0} s" : v.Value.ToString("0", CultureInfo.InvariantCulture) + " ms")}"));
}
