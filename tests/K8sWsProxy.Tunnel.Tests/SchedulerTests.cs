namespace K8sWsProxy.Tunnel.Tests;

public class SchedulerTests
{
    [Fact]
    public async Task TimerStopsWithTheLastTunnelAndRestartsForTheNextOne()
    {
        await using var scheduler = new TunnelScheduler(TimeProvider.System, TimeSpan.FromMilliseconds(20));
        Assert.False(scheduler.IsTicking);
        var idle = new TunnelOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) };

        await using (var first = await TunnelHarness.StartAsync(idle, scheduler: scheduler))
        {
            Assert.True(scheduler.IsTicking);
            // Only a tick can close an idle tunnel: this one closing proves the timer ran.
            Assert.Equal(1001, (await first.OutcomeAsync()).CloseCode);
            await Poll.UntilAsync(() => !scheduler.IsTicking, "the timer to stop once no tunnel is left");
        }

        await using var second = await TunnelHarness.StartAsync(idle, scheduler: scheduler);
        Assert.True(scheduler.IsTicking);
        Assert.Equal(new TunnelOutcome(1001, "idle timeout", CloseInitiator.Proxy, "idle timeout"), await second.OutcomeAsync());
    }
}
