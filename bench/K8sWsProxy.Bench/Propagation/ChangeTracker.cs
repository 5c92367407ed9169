using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using K8sWsProxy.Bench.Cluster;

namespace K8sWsProxy.Bench.Propagation;

/// <summary>
/// What each part of a <see cref="LocalCluster"/> last said, with the moment it arrived here (Stopwatch ticks): the
/// revision each sidecar applied (its log), the revision the operator heard each sidecar ack (its log) and the
/// route's status (a watch on the API). A change is complete when all three show it.
/// </summary>
internal sealed partial class ChangeTracker : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, (string Revision, long At)> applied = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Revision, long At)> acked = new(StringComparer.Ordinal);
    private readonly List<(RouteState State, long At)> statuses = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task watch;

    public ChangeTracker(LocalCluster cluster, string route)
    {
        foreach (var (pod, process) in cluster.Sidecars)
        {
            process.LineReceived += line =>
            {
                if (AppliedLine().Match(line) is { Success: true } m)
                {
                    Record(applied, pod, m.Groups[1].Value);
                }
            };
        }

        cluster.Operator.LineReceived += line =>
        {
            if (AckedLine().Match(line) is { Success: true } m)
            {
                var pod = m.Groups[1].Value; // namespace/name
                Record(acked, pod[(pod.IndexOf('/', StringComparison.Ordinal) + 1)..], m.Groups[2].Value);
            }
        };
        watch = RouteWatch.RunAsync(cluster.Client, LocalCluster.Namespace, $"metadata.name={route}", (json, at) =>
        {
            if (Parse(json) is { } state)
            {
                lock (gate)
                {
                    statuses.Add((state, at));
                }
            }
        }, stop.Token);
    }

    /// <summary>The route as its status tells it: which generation it is at and how far the sidecars are.</summary>
    public sealed record RouteState(long Generation, long ObservedGeneration, int Selected, int Synced, bool Ready);

    /// <summary>Each sidecar's applied revision now, to tell later which of them moved.</summary>
    public IReadOnlyDictionary<string, string> AppliedRevisions()
    {
        lock (gate)
        {
            return applied.ToDictionary(p => p.Key, p => p.Value.Revision, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// When every pod of <paramref name="before"/> had applied a revision other than its old one, when the operator had
    /// heard each ack that revision, and when the status first showed all of them synced at a newer generation
    /// than <paramref name="generationBefore"/>; null for a part not there yet.
    /// </summary>
    public (long? Applied, long? Acked, long? Status) Progress(IReadOnlyDictionary<string, string> before, long generationBefore, int sidecars)
    {
        lock (gate)
        {
            long? allApplied = 0, allAcked = 0;
            foreach (var (pod, old) in before)
            {
                if (!applied.TryGetValue(pod, out var now) || now.Revision == old)
                {
                    allApplied = allAcked = null;
                    break;
                }

                allApplied = Math.Max(allApplied!.Value, now.At);
                allAcked = acked.TryGetValue(pod, out var ack) && ack.Revision == now.Revision && allAcked is not null ? Math.Max(allAcked.Value, ack.At) : null;
            }

            long? status = statuses.FirstOrDefault(s => s.State.Generation > generationBefore && s.State.ObservedGeneration == s.State.Generation
                && s.State.Selected == sidecars && s.State.Synced == sidecars && s.State.Ready) is { At: > 0 } done ? done.At : null;
            return (allApplied, allAcked, status);
        }
    }

    /// <summary>The route's newest generation the watch has seen.</summary>
    public long Generation()
    {
        lock (gate)
        {
            return statuses.Select(s => s.State.Generation).DefaultIfEmpty(0).Max();
        }
    }

    private void Record(Dictionary<string, (string, long)> into, string pod, string revision)
    {
        var at = Stopwatch.GetTimestamp();
        lock (gate)
        {
            into[pod] = (revision, at);
        }
    }

    /// <summary>A route object as the watch delivers it; null without a generation.</summary>
    internal static RouteState? Parse(JsonElement route)
    {
        if (!route.TryGetProperty("metadata", out var meta) || !meta.TryGetProperty("generation", out var generation))
        {
            return null;
        }

        if (!route.TryGetProperty("status", out var status))
        {
            return new RouteState(generation.GetInt64(), 0, 0, 0, false);
        }

        var sidecars = status.TryGetProperty("sidecars", out var s) ? s : default;
        int Count(string name) => sidecars.ValueKind == JsonValueKind.Object && sidecars.TryGetProperty(name, out var v) ? v.GetInt32() : 0;
        var ready = status.TryGetProperty("conditions", out var conditions) && conditions.EnumerateArray().Any(c =>
            c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True");
        var observed = status.TryGetProperty("observedGeneration", out var o) ? o.GetInt64() : 0;
        return new RouteState(generation.GetInt64(), observed, Count("selected"), Count("synced"), ready);
    }

    public void Dispose()
    {
        stop.Cancel();
        try
        {
            watch.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The watch ended with the cancellation.
        }

        stop.Dispose();
    }

    [GeneratedRegex(@"Config revision (\S+) applied")]
    private static partial Regex AppliedLine();

    [GeneratedRegex(@"Sidecar (\S+) acked (\S+)")]
    private static partial Regex AckedLine();
}
