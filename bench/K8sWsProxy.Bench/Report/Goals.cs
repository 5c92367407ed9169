using System.Globalization;

namespace K8sWsProxy.Bench.Report;

/// <summary>
/// The issue's goals, each checked against the medians of this run: met, not met, or not judged. A goal about a
/// load scenario is judged only on a sane measurement: the direct connection fastest, no errors, every system
/// measured. The headline figures are the proxy's own CPU per unit of work: with the load generator sharing a core,
/// throughput alone hides what a proxy costs.
/// </summary>
internal static class Goals
{
    public const double IdleBytesGoal = 4 * 1024;
    public const double IdleRssGoalMiB = 30;

    public static IReadOnlyList<string> Evaluate(IReadOnlyList<ScenarioResult> results)
    {
        ScenarioResult? Find(string id) => results.FirstOrDefault(r => r.Id == id);
        var lines = new List<string>();

        var t64 = Find("throughput-64b");
        lines.Add(CpuRatio("CPU per 64 B message at most 1.15× nginx's (behind it: below nginx)", t64, "nginx", 1.15, "rate"));
        var t16 = Find("throughput-16kib");
        lines.Add(CpuRatio("CPU per 16 KiB message at most nginx's (behind it: haproxy's)", t16, "nginx", 1.0, "rate"));
        var hs = Find("handshakes");
        lines.Add(CpuRatio("CPU per handshake at most 2× haproxy's (behind it: haproxy's)", hs, "haproxy", 2.0, "rate"));

        var lat = Find("latency");
        if (lat?.Summarize("sidecar", "p99") is { } ours && lat.Summarize("nginx", "p99") is { } theirs)
        {
            var insane = Insanity(lat, "p99", higherIsBetter: false);
            lines.Add($"p99 latency at the fixed rate at or below nginx's: " +
                (insane is null ? $"{Verdict(ours.Median <= theirs.Median)} ({N(ours.Median)} vs {N(theirs.Median)} µs)" : $"not judged: {insane}"));
        }
        else
        {
            lines.Add("p99 latency at the fixed rate at or below nginx's: not measured");
        }

        var idle = Find("idle-memory");
        var mem = idle?.Summarize("sidecar", "perconn");
        var open = idle?.Summarize("sidecar", "open");
        var others = string.Join(", ", new[] { "nginx", "haproxy" }
            .Select(n => (n, idle?.Summarize(n, "perconn"))).Where(x => x.Item2 is not null).Select(x => $"{x.n} {N(x.Item2!.Median)} B"));
        lines.Add(mem is null || open is null
            ? "memory per idle plain connection at most 4 KiB at 8,000 connections: not measured"
            : $"memory per idle plain connection at most 4 KiB ({N(IdleBytesGoal)} B) at 8,000 connections: " +
                (open.Median < 8000 ? $"not judged: {N(open.Median)} connections held, not 8,000" : Verdict(mem.Median <= IdleBytesGoal)) +
                $", sidecar {N(mem.Median)} B" + (others == "" ? "" : $" ({others})"));

        if (idle?.Summarize("sidecar, TLS", "perconn") is { } tls)
        {
            lines.Add($"memory per idle TLS connection (no goal of its own; measured so it can be watched): sidecar {N(tls.Median)} B");
        }

        var rss = idle?.Summarize("sidecar", "rssidle");
        lines.Add(rss is null
            ? "idle sidecar resident memory at most 30 MiB: not measured"
            : $"idle sidecar resident memory at most 30 MiB: {Verdict(rss.Median <= IdleRssGoalMiB)} ({N(rss.Median, "N1")} MiB, a document applied, no connection)");

        var reload = Find("reload");
        var dropped = reload?.Summarize("sidecar", "dropped");
        var lost = reload?.Summarize("sidecar", "lost");
        bool? reloadMet = dropped is null || lost is null ? null : dropped.Max == 0 && lost.Max == 0;
        lines.Add($"reload: zero connections dropped and zero messages lost (sidecar, every round): {(reloadMet is null ? "not measured" : Verdict(reloadMet.Value))}" +
            (dropped is null || lost is null ? "" : $", dropped at most {N(dropped.Max)}, lost at most {N(lost.Max)}"));

        var propagation = Find("propagation");
        foreach (var (sidecars, limitMs) in PropagationGoals)
        {
            lines.Add(PropagationGoal(propagation, sidecars, limitMs));
        }

        // Judged where the issue sets it, at 50 and 200 sidecars: with 10, the cost of a change that does not grow with
        // the sidecars (the API and the operator handling kubectl's request, the status write) is shared by few.
        var perSidecar = propagation?.Rounds.Keys.Select(k => (Row: k, Cpu: propagation.Summarize(k, "cpupersidecar"))).Where(r => r.Cpu is not null).ToList();
        var judged = perSidecar?.Where(r => PropagationGoals.Any(g => r.Row == $"{g.Sidecars} sidecars")).ToList();
        lines.Add($"cluster CPU per route change at most {N(CpuPerSidecarGoalMs)} ms per sidecar (median, at 50 and 200 sidecars): " +
            (judged is not { Count: > 0 } ? "not measured"
                : $"{Verdict(judged.All(r => r.Cpu!.Median <= CpuPerSidecarGoalMs))} ({string.Join(", ", perSidecar!.Select(r => $"{r.Row}: {N(r.Cpu!.Median, "N1")} ms"))})"));

        var scale = Find("scale");
        var scaleRow = scale?.Rounds.Keys.FirstOrDefault();
        var allReady = scaleRow is null ? null : scale!.Summarize(scaleRow, "ready");
        lines.Add("1,000 routes in 100 namespaces on 200 sidecars all Ready within 2 s of the first create (the best public Gateway API figures: 1-2 s): " +
            (allReady is null ? "not measured"
                : !scaleRow!.StartsWith("1,000 routes, 200 sidecars", StringComparison.Ordinal) ? $"not judged: {scaleRow} measured ({N(allReady.Median)} ms)"
                : $"{Verdict(allReady.Median <= 2000)} ({N(allReady.Median)} ms)"));
        if (Find("hostile") is { } hostile)
        {
            lines.Add(HostileReport.Goal(hostile));
        }

        return lines;

        string CpuRatio(string what, ScenarioResult? s, string reference, double limit, string rateMetric)
        {
            if (s?.Summarize("sidecar", "cpu") is not { } ours || s.Summarize(reference, "cpu") is not { } theirs)
            {
                return $"{what}: not measured";
            }

            var ratio = ours.Median / theirs.Median;
            var figures = $"{N(ours.Median, "N1")} vs {N(theirs.Median, "N1")} µs, {ratio.ToString("0.00", CultureInfo.InvariantCulture)}×";
            return Insanity(s, rateMetric, higherIsBetter: true) is { } insane
                ? $"{what}: not judged ({figures}): {insane}"
                : $"{what}: {Verdict(ratio <= limit)} ({figures})";
        }
    }

    private static string Verdict(bool met) => met ? "**met**" : "**not met**";

    private static string N(double v, string f = "N0") => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>A change acked by every sidecar within this long of `kubectl apply` (p99), by cluster size.</summary>
    private static readonly (int Sidecars, double LimitMs)[] PropagationGoals = [(50, 500), (200, 2000)];

    private const double CpuPerSidecarGoalMs = 5;

    private static string PropagationGoal(ScenarioResult? propagation, int sidecars, double limitMs)
    {
        var what = $"route change acked by every sidecar within {N(limitMs)} ms of `kubectl apply` at {sidecars} sidecars (p99)";
        var row = $"{sidecars} sidecars";
        if (propagation is null || !propagation.Rounds.ContainsKey(row))
        {
            return $"{what}: not measured";
        }

        var p99 = propagation.Percentile(row, "acked", 99);
        var median = propagation.Summarize(row, "acked")!;
        var incomplete = propagation.Rounds[row].Any(r => double.IsNaN(r["acked"]));
        var fanOut = propagation.Summarize(row, "fanout");
        var figures = $"median {N(median.Median)} ms, p99 {N(p99)} ms{(incomplete ? ", some changes never fully acked" : "")}" +
            (fanOut is null ? "" : $"; the operator's own fan-out median {N(fanOut.Median, "N1")} ms");
        return $"{what}: {Verdict(!incomplete && p99 < limitMs)}: {figures}";
    }

    /// <summary>
    /// Why a load scenario's figures cannot be trusted, or null: the direct connection must beat every proxy (else
    /// the client or the machine, not the proxies, set the pace), and no system may have errors.
    /// </summary>
    internal static string? Insanity(ScenarioResult s, string metric, bool higherIsBetter)
    {
        if (s.Summarize("direct", metric) is not { } direct)
        {
            return "no direct connection measured";
        }

        foreach (var system in s.Rounds.Keys.Where(k => k != "direct"))
        {
            if (s.Summarize(system, metric) is { } proxy && (higherIsBetter ? proxy.Median > direct.Median : proxy.Median < direct.Median))
            {
                return $"{system} beat the direct connection ({metric}), so the load generator or the machine set the pace";
            }
        }

        foreach (var errors in new[] { "errors", "failed", "lost" })
        {
            if (s.Metrics.Any(m => m.Key == errors) && s.Rounds.Keys.FirstOrDefault(k => s.Summarize(k, errors) is { Max: > 0 }) is { } failing)
            {
                return $"{failing} had {errors}";
            }
        }

        return null;
    }
}
