using ScottPlot;

namespace K8sWsProxy.Bench.Report;

/// <summary>One PNG per scenario: the headline metric's median per system as bars, min-max as whiskers.</summary>
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
}
