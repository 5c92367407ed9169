using K8sWsProxy.Bench.Report;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Tests;

public class StatisticsTests
{
    [Fact]
    public void MedianOfOddAndEvenCounts()
    {
        Assert.Equal(3, Summary.Of([5, 1, 3])!.Median);
        Assert.Equal(2.5, Summary.Of([4, 1, 3, 2])!.Median);
        Assert.Equal(7, Summary.Of([7])!.Median);
    }

    [Fact]
    public void SummaryKeepsMinMaxAndCountAndIgnoresNaN()
    {
        var s = Summary.Of([10, double.NaN, 30, 20])!;
        Assert.Equal(new Summary(20, 10, 30, 3), s);
        Assert.Null(Summary.Of([]));
        Assert.Null(Summary.Of([double.NaN]));
        Assert.Throws<ArgumentException>(() => Summary.MedianOf([]));
    }

    [Fact]
    public void RatioIsOfMediansAndUndefinedWithoutAReference()
    {
        var ours = Summary.Of([90, 100, 110]);
        var nginx = Summary.Of([40, 50, 60]);
        Assert.Equal(2.0, Summary.Ratio(ours, nginx));
        Assert.Null(Summary.Ratio(ours, null));
        Assert.Null(Summary.Ratio(ours, Summary.Of([0])));
        Assert.Equal("2.00×", MarkdownReport.Ratio(2.0));
        Assert.Equal("n/a", MarkdownReport.Ratio(null));
    }

    private static ScenarioResult Sample()
    {
        var s = new ScenarioResult("t", "Throughput", "what", [new Metric("rate", "messages/s", "msg/s", true), new Metric("errors", "errors", "", false)]);
        foreach (var (system, values) in new[] { ("direct", new[] { 400.0, 420, 410 }), ("sidecar", [200, 220, 210]), ("nginx", [100, 90, 110]) })
        {
            foreach (var v in values)
            {
                s.Add(system, new() { ["rate"] = v, ["errors"] = 0 });
            }
        }

        return s;
    }

    [Fact]
    public void TableHasMedianRangeAndRatiosPerSystem()
    {
        var table = MarkdownReport.Table(Sample(), ["direct", "sidecar", "nginx", "haproxy"]);
        Assert.Contains("| sidecar | 210 | 200 - 220 | 2.10× | 0.51× | 0 |", table, StringComparison.Ordinal);
        Assert.Contains("| nginx | 100 | 90 - 110 | 1.00× | 0.24× | 0 |", table, StringComparison.Ordinal);
        Assert.Contains("| direct | 410 | 400 - 420 | 4.10× | 1.00× | 0 |", table, StringComparison.Ordinal);
        Assert.DoesNotContain("haproxy", table, StringComparison.Ordinal);
        Assert.Contains("3 round(s) per system; higher is better", table, StringComparison.Ordinal);
    }

    [Fact]
    public void GoalsCompareCpuPerUnitAndSayWhatWasNotMeasured()
    {
        var metrics = new[] { new Metric("rate", "messages/s", "msg/s", true), new Metric("cpu", "proxy CPU per message", "µs", false), new Metric("errors", "errors", "", false) };
        var s = new ScenarioResult("throughput-64b", "Throughput, 64 B echo", "", metrics);
        s.Add("direct", new() { ["rate"] = 300, ["errors"] = 0 });
        s.Add("sidecar", new() { ["rate"] = 90, ["cpu"] = 22, ["errors"] = 0 });
        s.Add("nginx", new() { ["rate"] = 100, ["cpu"] = 20, ["errors"] = 0 });
        var idle = new ScenarioResult("idle-memory", "Memory", "", [new Metric("perconn", "RSS per connection", "bytes", false), new Metric("open", "open", "", true), new Metric("rssidle", "idle RSS", "MiB", false)]);
        idle.Add("sidecar", new() { ["perconn"] = 3000, ["open"] = 8000, ["rssidle"] = 31 });
        var goals = Goals.Evaluate([s, idle]);
        Assert.Contains(goals, g => g.StartsWith("CPU per 64 B message at most 1.15× nginx's (behind it: below nginx): **met** (22.0 vs 20.0 µs, 1.10×)", StringComparison.Ordinal));
        Assert.Contains(goals, g => g.StartsWith("memory per idle plain connection at most 4 KiB (4,096 B) at 8,000 connections: **met**", StringComparison.Ordinal));
        Assert.Contains(goals, g => g.StartsWith("idle sidecar resident memory at most 30 MiB: **not met** (31.0 MiB", StringComparison.Ordinal));
        Assert.Contains(goals, g => g == "CPU per handshake at most 2× haproxy's (behind it: haproxy's): not measured");

        // The quick plan's smaller cluster says nothing about the goal at 50 sidecars.
        var propagation = new ScenarioResult("propagation", "Route change", "", [new Metric("acked", "every sidecar acked", "ms", false), new Metric("fanout", "fan-out", "ms", false), new Metric("cpupersidecar", "CPU per sidecar", "ms", false)]) { Distribution = true };
        propagation.Add("10 sidecars", new() { ["acked"] = 120, ["fanout"] = 3, ["cpupersidecar"] = 4 });
        Assert.Contains(Goals.Evaluate([propagation]), g => g == "route change acked by every sidecar within 500 ms of `kubectl apply` at 50 sidecars (p99): not measured");
        propagation.Add("50 sidecars", new() { ["acked"] = 300, ["fanout"] = 12, ["cpupersidecar"] = 4.5 });
        propagation.Add("200 sidecars", new() { ["acked"] = 2100, ["fanout"] = 40, ["cpupersidecar"] = 6 });
        var propagationGoals = Goals.Evaluate([propagation]);
        Assert.Contains(propagationGoals, g => g == "route change acked by every sidecar within 500 ms of `kubectl apply` at 50 sidecars (p99): **met**: median 300 ms, p99 300 ms; the operator's own fan-out median 12.0 ms");
        Assert.Contains(propagationGoals, g => g.StartsWith("route change acked by every sidecar within 2,000 ms of `kubectl apply` at 200 sidecars (p99): **not met**: median 2,100 ms", StringComparison.Ordinal));
        Assert.Contains(propagationGoals, g => g == "cluster CPU per route change at most 5 ms per sidecar (median, at 50 and 200 sidecars): **not met** (10 sidecars: 4.0 ms, 50 sidecars: 4.5 ms, 200 sidecars: 6.0 ms)");

        var scale = new ScenarioResult("scale", "Scale", "", [new Metric("ready", "all Ready", "ms", false)]);
        scale.Add("100 routes, 20 sidecars", new() { ["ready"] = 300 });
        Assert.Contains(Goals.Evaluate([scale]), g => g.EndsWith("(the best public Gateway API figures: 1-2 s): not judged: 100 routes, 20 sidecars measured (300 ms)", StringComparison.Ordinal));
        scale = new ScenarioResult("scale", "Scale", "", [new Metric("ready", "all Ready", "ms", false)]);
        scale.Add("1,000 routes, 200 sidecars", new() { ["ready"] = 1963 });
        Assert.Contains(Goals.Evaluate([scale]), g => g.EndsWith("(the best public Gateway API figures: 1-2 s): **met** (1,963 ms)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_goal_is_not_judged_when_a_proxy_beats_the_direct_connection_or_anything_failed()
    {
        var metrics = new[] { new Metric("rate", "messages/s", "msg/s", true), new Metric("cpu", "proxy CPU per message", "µs", false), new Metric("errors", "errors", "", false) };
        var s = new ScenarioResult("throughput-64b", "Throughput, 64 B echo", "", metrics);
        s.Add("direct", new() { ["rate"] = 80, ["errors"] = 0 });
        s.Add("sidecar", new() { ["rate"] = 90, ["cpu"] = 10, ["errors"] = 0 });
        s.Add("nginx", new() { ["rate"] = 70, ["cpu"] = 20, ["errors"] = 0 });
        Assert.Contains(Goals.Evaluate([s]), g => g.Contains("not judged", StringComparison.Ordinal) && g.Contains("sidecar beat the direct connection", StringComparison.Ordinal));

        var failing = new ScenarioResult("throughput-64b", "Throughput, 64 B echo", "", metrics);
        failing.Add("direct", new() { ["rate"] = 300, ["errors"] = 0 });
        failing.Add("sidecar", new() { ["rate"] = 90, ["cpu"] = 10, ["errors"] = 3 });
        failing.Add("nginx", new() { ["rate"] = 70, ["cpu"] = 20, ["errors"] = 0 });
        Assert.Contains(Goals.Evaluate([failing]), g => g.Contains("not judged", StringComparison.Ordinal) && g.Contains("sidecar had errors", StringComparison.Ordinal));
    }

    [Fact]
    public void PlansFitTheirBudgets()
    {
        static double LoadSeconds(K8sWsProxy.Bench.Harness.Plan p) => 4 * p.Rounds * 4 * (p.Warmup + p.Measure).TotalSeconds;
        Assert.True(LoadSeconds(K8sWsProxy.Bench.Harness.Plan.Quick) < 80);
        Assert.True(K8sWsProxy.Bench.Harness.Plan.Full.Rounds >= 3);
        Assert.True(K8sWsProxy.Bench.Harness.Plan.Full.IdleRounds >= 3 && K8sWsProxy.Bench.Harness.Plan.Full.ReloadRounds >= 3);
        Assert.Equal(100, K8sWsProxy.Bench.Harness.Plan.Full.ReloadChanges);
        Assert.Equal(10_000, K8sWsProxy.Bench.Harness.Plan.Full.IdleConnections);
    }
}
