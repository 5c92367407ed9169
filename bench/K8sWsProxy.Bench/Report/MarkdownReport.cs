using System.Globalization;
using System.Text;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Report;

/// <summary>bench/results/latest.md: a table per scenario (median, min-max, ratios to nginx and to direct).</summary>
internal static class MarkdownReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, Inv);

    public static string Ratio(double? ratio) => ratio is { } r ? r.ToString("0.00", Inv) + "×" : "n/a";

    /// <summary>One scenario's table. Systems without a value for the headline metric show "n/a".</summary>
    public static string Table(ScenarioResult scenario, IReadOnlyList<string> systems)
    {
        if (scenario.CustomTable is { } custom)
        {
            return custom(scenario, systems);
        }

        if (scenario.Distribution)
        {
            return DistributionTable(scenario);
        }

        var head = scenario.Metrics[0];
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"| system | {head.Label}{(head.Unit == "" ? "" : $" ({head.Unit})")}, median | min-max | vs nginx | vs direct |");
        foreach (var m in scenario.Metrics.Skip(1))
        {
            sb.Append(CultureInfo.InvariantCulture, $" {m.Label}{(m.Unit == "" ? "" : $" ({m.Unit})")} |");
        }

        sb.Append("\n| --- | ---: | ---: | ---: | ---: |");
        sb.Append(string.Concat(Enumerable.Repeat(" ---: |", scenario.Metrics.Count - 1)));
        sb.Append('\n');
        var nginx = scenario.Summarize("nginx", head.Key);
        var direct = scenario.Summarize("direct", head.Key);
        foreach (var system in systems.Where(scenario.Rounds.ContainsKey).Concat(scenario.Rounds.Keys.Except(systems)))
        {
            var s = scenario.Summarize(system, head.Key);
            sb.Append(CultureInfo.InvariantCulture, $"| {system} | {(s is null ? "n/a" : Format(s.Median, head.Format))} | ");
            sb.Append(s is null ? "n/a" : $"{Format(s.Min, head.Format)} - {Format(s.Max, head.Format)}");
            sb.Append(CultureInfo.InvariantCulture, $" | {Ratio(Summary.Ratio(s, nginx))} | {Ratio(Summary.Ratio(s, direct))} |");
            foreach (var m in scenario.Metrics.Skip(1))
            {
                var v = scenario.Summarize(system, m.Key);
                sb.Append(CultureInfo.InvariantCulture, $" {(v is null ? "n/a" : Format(v.Median, m.Format))} |");
            }

            sb.Append('\n');
        }

        var rounds = scenario.Rounds.Values.Select(r => r.Count).DefaultIfEmpty(0).Min();
        sb.Append(CultureInfo.InvariantCulture,
            $"\n{rounds} round(s) per system; {(head.HigherIsBetter ? "higher" : "lower")} is better for {head.Label}; other columns are medians.\n");
        return sb.ToString();
    }

    /// <summary>Per row, every metric's median and p99 over the samples, and how many samples each has.</summary>
    private static string DistributionTable(ScenarioResult scenario)
    {
        string Head(Metric m) => $"{m.Label}{(m.Unit == "" ? "" : $" ({m.Unit})")}";
        var sb = new StringBuilder("|  |");
        foreach (var m in scenario.Metrics)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {Head(m)}, median | p99 |");
        }

        sb.Append(" samples |\n| --- |").Append(string.Concat(Enumerable.Repeat(" ---: | ---: |", scenario.Metrics.Count))).Append(" ---: |\n");
        foreach (var (row, samples) in scenario.Rounds)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {row} |");
            foreach (var m in scenario.Metrics)
            {
                var median = scenario.Summarize(row, m.Key);
                sb.Append(CultureInfo.InvariantCulture, $" {(median is null ? "n/a" : Format(median.Median, m.Format))} | {Format(scenario.Percentile(row, m.Key, 99), m.Format)} |");
            }

            var complete = samples.Count(s => scenario.Metrics.All(m => s.TryGetValue(m.Key, out var v) && !double.IsNaN(v)));
            sb.Append(CultureInfo.InvariantCulture, $" {complete} of {samples.Count} |\n");
        }

        sb.Append("\np99 is nearest-rank: of 20 samples, the largest. A sample counts as complete when every column was measured within its time limit.\n");
        return sb.ToString();
    }

    public static string Document(
        string title, IEnumerable<string> header, IReadOnlyList<ScenarioResult> scenarios, IReadOnlyList<string> systems,
        IEnumerable<string> goals, IEnumerable<string> footer)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# {title}\n\n");
        foreach (var line in header)
        {
            sb.Append(line).Append('\n');
        }

        sb.Append("\n## Goals\n\nReported against the issue's goals, not enforced as tests.\n\n");
        foreach (var g in goals)
        {
            sb.Append("- ").Append(g).Append('\n');
        }

        foreach (var s in scenarios)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n## {s.Title}\n\n{s.Measures}\n\n");
            if (s.Rounds.Count > 0)
            {
                sb.Append(Table(s, systems));
                sb.Append(CultureInfo.InvariantCulture, $"\n![{s.Title}](charts/{s.Id}.png)\n");
            }

            foreach (var n in s.Notes)
            {
                sb.Append("\n").Append(n).Append('\n');
            }
        }

        sb.Append('\n');
        foreach (var line in footer)
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }
}
