using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Soak;

/// <summary>The growth check of one series: the medians compared and the limit the last one had to stay under.</summary>
internal sealed record GrowthVerdict(double MiddleMedian, double LastMedian, double Limit, bool Grew);

/// <summary>
/// Whether a series (one process's resident memory or open descriptors over the run) keeps growing: the median of the
/// last third of the samples against the median of the middle third. The first third is left out (connections opening,
/// caches and the GC settling); medians, so one sample taken during a burst (an upstream restart, a collection) does
/// not decide. Grew when last &gt; middle × (1 + relative) + slack; the slack keeps a small absolute wobble of a small
/// figure (a few descriptors, a few MiB) from counting as growth.
/// </summary>
internal static class GrowthRule
{
    public const double Relative = 0.10;

    /// <summary>Fewer samples than this and there is no verdict (null): two per third at least.</summary>
    public const int MinimumSamples = 6;

    public static GrowthVerdict? Check(IReadOnlyList<double> series, double slack, double relative = Relative)
    {
        if (series.Count < MinimumSamples)
        {
            return null;
        }

        var third = series.Count / 3;
        var middle = Median(series.Skip(third).Take(third));
        var last = Median(series.Skip(series.Count - third));
        var limit = (middle * (1 + relative)) + slack;
        return new GrowthVerdict(middle, last, limit, last > limit);
    }

    private static double Median(IEnumerable<double> values) => Summary.MedianOf([.. values.Order()]);
}
