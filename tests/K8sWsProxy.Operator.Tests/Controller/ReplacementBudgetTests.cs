using K8sWsProxy.Operator.Channel;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>A pod's session may be replaced a few times a window, and the budget forgets pods that stopped.</summary>
public sealed class ReplacementBudgetTests
{
    [Fact]
    public void Three_replacements_a_minute_then_none_until_the_window_moves_and_idle_pods_are_forgotten()
    {
        var time = new FakeTimeProvider();
        var budget = new ReplacementBudget(time);
        Assert.All(Enumerable.Range(0, ReplacementBudget.PerWindow), _ => Assert.True(budget.TrySpend("demo/chat-0")));
        Assert.False(budget.TrySpend("demo/chat-0"));
        Assert.True(budget.TrySpend("demo/chat-1"), "the budget is per pod");

        time.Advance(ReplacementBudget.Window);
        Assert.True(budget.TrySpend("demo/chat-0"));

        // Pods that come and go under new names leave nothing behind once a window has passed without them.
        for (var i = 0; i < 100; i++)
        {
            budget.TrySpend($"demo/gone-{i}");
        }

        time.Advance(2 * ReplacementBudget.Window);
        budget.TrySpend("demo/chat-2");
        Assert.Equal(1, budget.Tracked);
    }
}
