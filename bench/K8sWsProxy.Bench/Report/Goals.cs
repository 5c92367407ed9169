using System.Globalization;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Report;

/// <summary>The issue's goals, each checked against the medians of this run: met, not met, or not measured.</summary>
internal static class Goals
{
    public const double IdleBytesGoal = 8 * 1024;

    public static IReadOnlyList<string> Evaluate(IReadOnlyList<ScenarioResult> results)
    {
        ScenarioResult? Find(string id) => results.FirstOrDefault(r => r.Id == id);
        var lines = new List<string>();
        string Verdict(bool? met) => met switch { true => "**met**", false => "**not met**", null => "not measured" };
        string N(double v, string f = "N0") => v.ToString(f, CultureInfo.InvariantCulture);

        foreach (var id in new[] { "throughput-64b", "throughput-16kib" })
        {
            var s = Find(id);
            var ours = s?.Summarize("sidecar", "rate");
            var nginx = s?.Summarize("nginx", "rate");
            lines.Add(Compare($"{s?.Title ?? id}: sidecar at or above nginx", ours, nginx, higherIsBetter: true, "msg/s"));
        }

        var lat = Find("latency");
        lines.Add(Compare("p99 latency: sidecar at or below nginx", lat?.Summarize("sidecar", "p99"), lat?.Summarize("nginx", "p99"), false, "µs"));
        var hs = Find("handshakes");
        lines.Add(Compare("handshakes: sidecar at or above haproxy", hs?.Summarize("sidecar", "rate"), hs?.Summarize("haproxy", "rate"), true, "conn/s"));

        var idle = Find("idle-memory");
        var mem = idle?.Summarize("sidecar", "perconn");
        var others = string.Join(", ", new[] { "nginx", "haproxy" }
            .Select(n => (n, idle?.Summarize(n, "perconn"))).Where(x => x.Item2 is not null).Select(x => $"{x.n} {N(x.Item2!.Median)} B"));
        lines.Add($"memory per idle connection at most 8 KiB ({N(IdleBytesGoal)} B): {Verdict(mem is null ? null : mem.Median <= IdleBytesGoal)}" +
            (mem is null ? "" : $", sidecar {N(mem.Median)} B") + (others == "" ? "" : $" ({others})"));

        var reload = Find("reload");
        var dropped = reload?.Summarize("sidecar", "dropped");
        var lost = reload?.Summarize("sidecar", "lost");
        bool? reloadMet = dropped is null || lost is null ? null : dropped.Max == 0 && lost.Max == 0;
        lines.Add($"reload: zero connections dropped and zero messages lost (sidecar, every round): {Verdict(reloadMet)}" +
            (dropped is null || lost is null ? "" : $", dropped at most {N(dropped.Max)}, lost at most {N(lost.Max)}"));

        var propagation = Find("propagation");
        var largest = propagation?.Rounds.Keys.OrderBy(k => int.Parse(k.Split(' ')[0], CultureInfo.InvariantCulture)).LastOrDefault();
        var p99 = largest is null ? double.NaN : propagation!.Percentile(largest, "acked", 99);
        var median = largest is null ? null : propagation!.Summarize(largest, "acked");
        var incomplete = largest is not null && propagation!.Rounds[largest].Any(r => double.IsNaN(r["acked"]));
        lines.Add($"route change acked by every sidecar within 1 s of `kubectl apply` at 50 sidecars (p99): " +
            (largest is null || double.IsNaN(p99) ? Verdict(null) : $"{Verdict(!incomplete && p99 < 1000 && largest.StartsWith("50 ", StringComparison.Ordinal))} " +
                $"with {largest}: median {N(median!.Median)} ms, p99 {N(p99)} ms{(incomplete ? ", some changes never fully acked" : "")}"));
        return lines;

        string Compare(string what, Summary? ours, Summary? theirs, bool higherIsBetter, string unit)
        {
            if (ours is null || theirs is null)
            {
                return $"{what}: {Verdict(null)}";
            }

            var met = higherIsBetter ? ours.Median >= theirs.Median : ours.Median <= theirs.Median;
            return $"{what}: {Verdict(met)} ({N(ours.Median)} vs {N(theirs.Median)} {unit}, ratio {MarkdownReport.Ratio(Summary.Ratio(ours, theirs))})";
        }
    }
}
