namespace K8sWsProxy.Bench.Stats;

/// <summary>The rounds of one measurement, summed up: median, min, max, how many.</summary>
internal sealed record Summary(double Median, double Min, double Max, int Count)
{
    public static Summary? Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? null : new Summary(MedianOf(sorted), sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>The median of values already sorted: the middle one, or the mean of the two middle ones.</summary>
    public static double MedianOf(IReadOnlyList<double> sorted)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }

        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The nearest-rank percentile (0-100) of values already sorted: with 20 values, p99 is the largest.</summary>
    public static double PercentileOf(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>This median over the reference's; null when either is missing or the reference is zero.</summary>
    public static double? Ratio(Summary? value, Summary? reference) =>
        value is null || reference is null || reference.Median == 0 ? null : value.Median / reference.Median;
}
