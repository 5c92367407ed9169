using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Report;

/// <summary>One metric of a scenario: how it is named, its unit, which way is better.</summary>
internal sealed record Metric(string Key, string Label, string Unit, bool HigherIsBetter, string Format = "N0");

/// <summary>A scenario's measurements: per system, one dictionary of metric values per round.</summary>
internal sealed class ScenarioResult(string id, string title, string measures, IReadOnlyList<Metric> metrics)
{
    public string Id { get; } = id;

    public string Title { get; } = title;

    /// <summary>What exactly is measured, said in the report above the table.</summary>
    public string Measures { get; set; } = measures;

    /// <summary>The first metric is the headline: it gets the min-max, the ratios and the chart.</summary>
    public IReadOnlyList<Metric> Metrics { get; } = metrics;

    public Dictionary<string, List<Dictionary<string, double>>> Rounds { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>
    /// Each round is one sample of a distribution (one change, not one repetition), and the rows are not systems to
    /// compare: the table gives each metric's median and p99 instead of min-max and ratios.
    /// </summary>
    public bool Distribution { get; init; }

    /// <summary>A table of the scenario's own instead of the per-system one (its rows are not systems to compare).</summary>
    public Func<ScenarioResult, IReadOnlyList<string>, string>? CustomTable { get; init; }

    public void Add(string system, Dictionary<string, double> values)
    {
        if (!Rounds.TryGetValue(system, out var list))
        {
            Rounds[system] = list = [];
        }

        list.Add(values);
    }

    public Summary? Summarize(string system, string metric) => Summary.Of(Values(system, metric));

    /// <summary>The nearest-rank percentile of a metric over the rounds; NaN without values.</summary>
    public double Percentile(string system, string metric, double percentile)
    {
        var sorted = Values(system, metric).Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN : Summary.PercentileOf(sorted, percentile);
    }

    private IEnumerable<double> Values(string system, string metric) =>
        Rounds.TryGetValue(system, out var list) ? list.Where(r => r.ContainsKey(metric)).Select(r => r[metric]) : [];
}
