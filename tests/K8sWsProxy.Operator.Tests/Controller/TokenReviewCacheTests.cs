using K8sWsProxy.Operator.Channel;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>TokenReviews cached briefly by the token's hash, and a budget for the rest.</summary>
public sealed class TokenReviewCacheTests
{
    [Fact]
    public void A_review_is_reused_for_ten_seconds_and_kept_by_hash_only()
    {
        var time = new FakeTimeProvider();
        var cache = new TokenReviewCache(time);
        var key = TokenReviewCache.Key("a.b.c");
        Assert.DoesNotContain("a.b.c", key, StringComparison.Ordinal);
        Assert.False(cache.TryGet(key, out _));

        cache.Add(key, new V1TokenReviewStatus { Authenticated = true });
        time.Advance(TokenReviewCache.Ttl - TimeSpan.FromSeconds(1));
        Assert.True(cache.TryGet(key, out var status));
        Assert.True(status!.Authenticated);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet(key, out _));
    }

    [Fact]
    public void Reviews_of_new_tokens_have_a_burst_then_a_rate()
    {
        var time = new FakeTimeProvider();
        var cache = new TokenReviewCache(time);
        Assert.Equal(TokenReviewCache.Burst, Enumerable.Range(0, 1000).Count(_ => cache.TryTakeReview()));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((int)TokenReviewCache.PerSecond, Enumerable.Range(0, 1000).Count(_ => cache.TryTakeReview()));
    }
}
