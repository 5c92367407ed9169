namespace K8sWsProxy.Bench.Soak;

/// <summary>One growth check in the report: which process, which series.</summary>
internal sealed record GrowthRow(string Process, string Series, string Unit, GrowthVerdict? Verdict);

/// <summary>
/// The soak's pass or fail. Fails when a route that nothing disturbs directly (steady, and secure whose certificate
/// rotates under its open connections) lost or duplicated a message, had a connection closed or one that did not open;
/// when any process's resident memory or open descriptors grew by <see cref="GrowthRule"/> (slack 4 MiB and 16
/// descriptors); when a rotated certificate was not served by every sidecar within 30 s; or when the run did not
/// complete. The churn route's closes and losses (upstream restarts) are reported, not judged.
/// </summary>
internal static class SoakVerdict
{
    public const double RssSlackMiB = 4;
    public const double FdSlack = 16;

    public static readonly IReadOnlySet<string> Unaffected = new HashSet<string>(StringComparer.Ordinal) { "steady", "secure" };

    public static IReadOnlyList<GrowthRow> Growth(IReadOnlyList<SoakSample> samples)
    {
        var rows = new List<GrowthRow>();
        foreach (var process in samples.SelectMany(s => s.Processes.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            var of = samples.Where(s => s.Processes.ContainsKey(process)).Select(s => s.Processes[process]).ToList();
            rows.Add(new GrowthRow(process, "RSS", "MiB", GrowthRule.Check([.. of.Select(p => p.RssMiB)], RssSlackMiB)));
            rows.Add(new GrowthRow(process, "open fds", "", GrowthRule.Check([.. of.Select(p => (double)p.OpenFiles)], FdSlack)));
        }

        return rows;
    }

    public static IReadOnlyList<string> Failures(IReadOnlyList<RouteTotals> routes, IReadOnlyList<GrowthRow> growth, Disturbances disturbances, bool complete)
    {
        var failures = new List<string>();
        if (!complete)
        {
            failures.Add("the run did not complete (failed or interrupted)");
        }

        foreach (var r in routes.Where(r => Unaffected.Contains(r.Route)))
        {
            if (r.Opened < r.Planned)
            {
                failures.Add($"{r.Route}: {r.Planned - r.Opened} of {r.Planned} connections did not open");
            }

            if (r.Closes > 0)
            {
                failures.Add($"{r.Route}: {r.Closes} connections closed under the client");
            }

            if (r.Lost > 0 || r.Duplicated > 0 || r.Unexpected > 0)
            {
                failures.Add($"{r.Route}: {r.Lost} messages lost, {r.Duplicated} duplicated, {r.Unexpected} unexpected");
            }
        }

        foreach (var g in growth.Where(g => g.Verdict is { Grew: true }))
        {
            failures.Add($"{g.Process} {g.Series} grew: median of the last third {g.Verdict!.LastMedian:0.#} > limit {g.Verdict.Limit:0.#} (middle third {g.Verdict.MiddleMedian:0.#})");
        }

        if (growth.All(g => g.Verdict is null))
        {
            failures.Add($"too few samples for the growth rule (fewer than {GrowthRule.MinimumSamples})");
        }

        if (disturbances.RotationsNotSeen > 0)
        {
            failures.Add($"{disturbances.RotationsNotSeen} certificate rotations not served by every sidecar within 30 s");
        }

        return failures;
    }
}
