using ScottPlot;

namespace K8sWsProxy.Bench.Report;

/// <summary>
/// One PNG per scenario: the headline metric's median per system as bars, min-max as whiskers; and, for the soak,
/// series over time as lines.
/// </summary>
internal static class Charts
{
    public static void Write(ScenarioResult scenario, IReadOnlyList<string> systems, string path)
    {
        var head = scenario.Metrics[0];
        var present = systems.Concat(scenario.Rounds.Keys.Except(systems)).Where(s => scenario.Summarize(s, head.Key) is not null).ToList();
        if (present.Count == 0)
        {
            return;
        }

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (var i = 0; i < present.Count; i++)
        {
            var s = scenario.Summarize(present[i], head.Key)!;
            bars.Add(new Bar
            {
                Position = i,
                Value = s.Median,
                FillColor = palette.GetColor(i),
                Label = MarkdownReport.Format(s.Median, head.Format),
            });
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        for (var i = 0; i < present.Count; i++)
        {
            var s = scenario.Summarize(present[i], head.Key)!;
            var whisker = plot.Add.Line(i, s.Min, i, s.Max);
            whisker.LineWidth = 2;
            whisker.Color = Colors.Black;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, present.Count).Select(i => (double)i)], [.. present]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.HideGrid();
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{scenario.Title} ({(head.HigherIsBetter ? "higher" : "lower")} is better)");
        plot.YLabel($"{head.Label} ({head.Unit}), median; whiskers min-max");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 800, 480);
    }

    /// <summary>Lines over time (minutes on the x axis), one per named series; NaN points (a failed scrape) are left out.</summary>
    public static void WriteSeries(string title, string yLabel, IReadOnlyList<double> minutes, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var points = minutes.Zip(series[i].Values).Where(p => !double.IsNaN(p.Second)).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray());
            line.LegendText = series[i].Name;
            line.Color = palette.GetColor(i);
            line.MarkerSize = 3;
            line.LineWidth = 1.5f;
        }

        // Beside the plot, not over it: the series fill the whole height.
        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.XLabel("minutes");
        plot.YLabel(yLabel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 800, 480);
    }
}
