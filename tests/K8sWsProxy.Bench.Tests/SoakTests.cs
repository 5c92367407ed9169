using K8sWsProxy.Bench.Soak;

namespace K8sWsProxy.Bench.Tests;

/// <summary>The pure parts of the soak: the echo accounting and the growth rule (the run itself is `make soak`).</summary>
public class SoakTests
{
    [Fact]
    public void EveryEchoOnceAndInOrderLosesNothing()
    {
        var c = new SequenceChecker();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i, c.NextToSend());
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Echo.InOrder, c.Accept(i));
        }

        Assert.Equal((5L, 5L, 0L, 0L, 0L, 0L), (c.Sent, c.Received, c.Lost, c.Duplicated, c.Unexpected, c.Outstanding));
    }

    [Fact]
    public void AGapCountsTheSkippedAsLostAtOnce()
    {
        var c = new SequenceChecker();
        for (var i = 0; i < 6; i++)
        {
            c.NextToSend();
        }

        Assert.Equal(Echo.InOrder, c.Accept(0));
        Assert.Equal(Echo.Gap, c.Accept(3));
        Assert.Equal(2, c.Lost);
        Assert.Equal(Echo.InOrder, c.Accept(4));
        Assert.Equal(1, c.Outstanding);
        Assert.Equal(3, c.Received);
    }

    [Fact]
    public void RepeatsAndNumbersNeverSentAreCountedApart()
    {
        var c = new SequenceChecker();
        c.NextToSend();
        c.NextToSend();
        Assert.Equal(Echo.InOrder, c.Accept(0));
        Assert.Equal(Echo.Duplicate, c.Accept(0));
        Assert.Equal(Echo.Unexpected, c.Accept(2));
        Assert.Equal(Echo.Unexpected, c.Accept(-1));
        Assert.Equal(Echo.InOrder, c.Accept(1));
        // An echo skipped by a gap that turns up late is a duplicate too: on one TCP stream it cannot come after a later one.
        c.NextToSend();
        c.NextToSend();
        Assert.Equal(Echo.Gap, c.Accept(3));
        Assert.Equal(Echo.Duplicate, c.Accept(2));
        Assert.Equal((2L, 1L, 2L), (c.Duplicated, c.Lost, c.Unexpected));
    }

    [Fact]
    public void WhatIsOutstandingWhenTheConnectionEndsIsLostAndTheNextConnectionStartsClean()
    {
        var c = new SequenceChecker();
        for (var i = 0; i < 4; i++)
        {
            c.NextToSend();
        }

        c.Accept(0);
        Assert.Equal(3, c.GiveUpOutstanding());
        Assert.Equal(3, c.Lost);
        Assert.Equal(0, c.GiveUpOutstanding());
        // The reopened connection goes on from the next number; the given-up ones are no longer expected.
        Assert.Equal(4, c.NextToSend());
        Assert.Equal(Echo.InOrder, c.Accept(4));
        Assert.Equal(Echo.Duplicate, c.Accept(2));
        Assert.Equal(3, c.Lost);
    }

    [Fact]
    public void FlatOrNoisySeriesDoNotGrow()
    {
        double[] flat = [30, 31, 30, 29, 30, 31, 30, 30, 31];
        Assert.False(GrowthRule.Check(flat, slack: 4)!.Grew);
        // One spike per third is what the medians are for.
        double[] spiky = [30, 30, 90, 30, 30, 90, 30, 30, 90];
        Assert.False(GrowthRule.Check(spiky, slack: 0)!.Grew);
        // Warm-up growth in the first third is left out.
        double[] warming = [10, 20, 30, 40, 40, 40, 40, 40, 40];
        Assert.False(GrowthRule.Check(warming, slack: 0)!.Grew);
    }

    [Fact]
    public void GrowthBeyondTenPercentAndTheSlackFails()
    {
        // Middle third median 100, limit 100 × 1.1 + 4 = 114.
        double[] series = [90, 95, 100, 99, 100, 101, 114, 115, 116];
        var v = GrowthRule.Check(series, slack: 4)!;
        Assert.Equal((100.0, 115.0), (v.MiddleMedian, v.LastMedian));
        Assert.Equal(114, v.Limit, 6);
        Assert.True(v.Grew);
        double[] atTheLimit = [90, 95, 100, 99, 100, 101, 113, 114, 114];
        Assert.False(GrowthRule.Check(atTheLimit, slack: 4)!.Grew);
    }

    [Fact]
    public void ThirdsOfCountsNotDivisibleByThreeAndTooFewSamples()
    {
        Assert.Null(GrowthRule.Check([1, 2, 3, 4, 5], slack: 0));
        // 7 samples: thirds of 2; middle = [1], [2] -> samples 2 and 3; last = the last 2.
        var v = GrowthRule.Check([0, 0, 10, 10, 50, 20, 20], slack: 0)!;
        Assert.Equal((10.0, 20.0), (v.MiddleMedian, v.LastMedian));
        Assert.True(v.Grew);
    }
}
