using System.Text;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Report;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Tests;

/// <summary>The hostile scenario's pure parts: its frames and requests, outcomes, fates, table and goal (no attack runs here).</summary>
public class HostileTests
{
    [Fact]
    public void FragmentFramesHaveNoFinAndRepeatBackToBack()
    {
        var first = WsFrame.EncodeClient(Opcode.Binary, [0x42], 1, fin: false);
        Assert.True(WsFrame.TryParseHeader(first, out var h));
        Assert.Equal(new FrameHeader(false, Opcode.Binary, true, 1, 6), h);
        var batch = Attacks.Repeat(WsFrame.EncodeClient(Opcode.Continuation, [0x42], 2, fin: false), 3);
        Assert.Equal(21, batch.Length);
        for (var offset = 0; offset < batch.Length; offset += 7)
        {
            Assert.True(WsFrame.TryParseHeader(batch.AsSpan(offset), out var c));
            Assert.Equal(new FrameHeader(false, Opcode.Continuation, true, 1, 6), c);
        }

        Assert.True(WsFrame.TryParseHeader(WsFrame.EncodeClient(Opcode.Ping, [], 3), out var ping));
        Assert.Equal(new FrameHeader(true, Opcode.Ping, true, 0, 6), ping);
    }

    [Fact]
    public void StatusIsReadFromTheStartOfAResponseOnly()
    {
        Assert.Equal(408, WsFrame.StatusOf("HTTP/1.1 408 Request Timeout\r\n"u8));
        Assert.Equal(400, WsFrame.StatusOf("HTTP/1.0 400 Bad Request\r\n\r\n"u8));
        Assert.Null(WsFrame.StatusOf("HTTP/1.1 40"u8));
        Assert.Null(WsFrame.StatusOf("HTTP/2 400 Bad Request\r\n"u8));
        Assert.Null(WsFrame.StatusOf("HTTP/1.1 4x8 Oops\r\n"u8));
        Assert.Null(WsFrame.StatusOf([0x88, 0x02, 0x03, 0xF0]));
    }

    [Fact]
    public void OversizedHeadIsAValidUpgradeWithOneHugeHeader()
    {
        var head = Encoding.ASCII.GetString(Attacks.OversizedHead(Target.Loopback(8080), 64 * 1024));
        Assert.StartsWith("GET /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", head, StringComparison.Ordinal);
        Assert.EndsWith("a\r\n\r\n", head, StringComparison.Ordinal);
        var padding = head.Split("\r\n").Single(l => l.StartsWith("X-Padding: ", StringComparison.Ordinal));
        Assert.Equal(64 * 1024, padding.Length + 2);
        Assert.Equal(1, head.Split("\r\n\r\n").Length - 1);
    }

    [Fact]
    public void OutcomeCountsCutAndAnsweredAndTakesTheCommonestCode()
    {
        var o = AttackOutcome.Of([(10_000, 408), (10_200, 408), (9_000, null), (double.NaN, null), (12_000, 400)], sent: 42);
        Assert.Equal(new AttackOutcome(5, 4, 3, 408, 10_100, 12_000, 42), o);
        var none = AttackOutcome.Of([(double.NaN, null)], 1_000);
        Assert.Equal(0, none.Cut);
        Assert.Null(none.Code);
        Assert.True(double.IsNaN(none.CutMsMedian));
        Assert.Equal(7, AttackOutcome.Of([], 0, accepted: 7).ToValues()["accepted"]);
    }

    [Fact]
    public void FateSaysWhatBecameOfTheAttacker()
    {
        var closed = new AttackOutcome(1, 1, 1, 1008, 1_020, 1_020, 51_200).ToValues();
        Assert.Equal("closed with 1008 after 1.0 s (51,200 pings written)", HostileReport.Fate(HostileReport.PingFlood, closed));
        var open = AttackOutcome.Of([(double.NaN, null)], 9_000_000).ToValues();
        Assert.Equal("**not closed** (9,000,000 fragments written)", HostileReport.Fate(HostileReport.FragmentFlood, open));
        var slow = AttackOutcome.Of([(10_000, 408), (10_400, 408)], 40).ToValues();
        Assert.Equal("2 of 2 cut: answered 408, after 10.2 s (median), 10.4 s at most", HostileReport.Fate(HostileReport.Slowloris, slow));
        var half = (AttackOutcome.Of([(10_000, null), (double.NaN, null)], 0, accepted: 2) with { Attackers = 3 }).ToValues();
        Assert.Equal("2 accepted; 1 of 3 cut (**the rest not**): no answer, connection closed, after 10.0 s",
            HostileReport.Fate(HostileReport.HalfOpen, half));
        Assert.Equal("**none refused** of 1", HostileReport.Fate(HostileReport.Oversized, open));
    }

    [Fact]
    public void GoalIsJudgedOnlyWithoutErrorsAndAgainstTheBaseline()
    {
        ScenarioResult Run(double pingP99, double errors)
        {
            var s = HostileReport.Create("what");
            s.Add(HostileReport.Row("sidecar", HostileReport.Baseline), new() { ["p99"] = 1_800, ["errors"] = 0 });
            var ping = new AttackOutcome(1, 1, 1, 1008, 900, 900, 100).ToValues();
            ping["p99"] = pingP99;
            ping["errors"] = errors;
            s.Add(HostileReport.Row("sidecar", HostileReport.PingFlood), ping);
            return s;
        }

        Assert.Contains("**met**", HostileReport.Goal(Run(3_500, 0)), StringComparison.Ordinal);
        Assert.Contains("**not met**", HostileReport.Goal(Run(42_000, 0)), StringComparison.Ordinal);
        var noisier = Run(8_000, 0);
        noisier.Add(HostileReport.Row("sidecar", HostileReport.BaselineAgain), new() { ["p99"] = 4_500, ["errors"] = 0 });
        Assert.Contains("**met** (ping flood 8,000 µs against 4,500 µs)", HostileReport.Goal(noisier), StringComparison.Ordinal);
        Assert.Contains("| sidecar | none (baseline again, at the end) | 4,500 | 4,500 |", MarkdownReport.Table(noisier, ["sidecar"]), StringComparison.Ordinal);
        Assert.Contains("not judged: the well-behaved connections had errors during ping flood", HostileReport.Goal(Run(1_000, 3)), StringComparison.Ordinal);
        var noisy = Run(3_500, 0);
        noisy.Rounds[HostileReport.Row("sidecar", HostileReport.Baseline)][0]["p99"] = 549_000;
        Assert.Contains("not judged: the baseline p99 was 549,000 µs", HostileReport.Goal(noisy), StringComparison.Ordinal);
        var lateClient = Run(3_500, 0);
        lateClient.Rounds[HostileReport.Row("sidecar", HostileReport.Baseline)][0]["late"] = 14_209;
        Assert.Contains("not judged: the client's pacer ran up to 14,209 µs late during a baseline", HostileReport.Goal(lateClient), StringComparison.Ordinal);
        var busyAttack = Run(1_617_919, 0);
        busyAttack.Rounds[HostileReport.Row("sidecar", HostileReport.PingFlood)][0]["late"] = 40_734;
        Assert.Contains(": not judged (ping flood 1,617,919 µs against 1,800 µs; the client's pacer ran over 10,000 µs late during ping flood",
            HostileReport.Goal(busyAttack), StringComparison.Ordinal);
        Assert.EndsWith("not measured", HostileReport.Goal(null), StringComparison.Ordinal);
        var table = MarkdownReport.Table(Run(3_500, 0), ["sidecar"]);
        Assert.Contains("| sidecar | ping flood | 1,800 | 3,500 |", table, StringComparison.Ordinal);
        Assert.Contains("closed with 1008 after 900 ms (100 pings written) |", table, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileIsAScenarioOfItsOwn()
    {
        Assert.Equal("hostile", Assert.Single(BenchOptions.Parse(["--scenarios", "hostile"]).Scenarios));
        Assert.True(Plan.Quick.HostileAttack < Plan.Full.HostileAttack);
        Assert.True(Plan.Quick.HostileBound > TimeSpan.FromSeconds(10)); // the sidecar's head timeout fits in it
    }
}
