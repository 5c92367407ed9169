using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// TokenReview results by token (its SHA-256: no token is kept) for <see cref="Ttl"/>, as the API server's own webhook
/// token authenticator caches them, and a budget for reviews of tokens not cached: 100 a second, 200 at once. A flood
/// of garbage tokens then costs the API server at most that, and sidecars that reconnect are answered from the cache.
/// </summary>
internal sealed class TokenReviewCache(TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    public const int Burst = 200;
    public const double PerSecond = 100;

    private const int MaxEntries = 10_000;

    private readonly Dictionary<string, (V1TokenReviewStatus? Status, DateTimeOffset Until)> _reviews = new(StringComparer.Ordinal);
    private double _tokens = Burst;
    private DateTimeOffset _refilledAt = time.GetUtcNow();

    public static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A review of this token still fresh; false when there is none.</summary>
    public bool TryGet(string key, out V1TokenReviewStatus? status)
    {
        lock (_reviews)
        {
            if (_reviews.TryGetValue(key, out var cached) && cached.Until > time.GetUtcNow())
            {
                status = cached.Status;
                return true;
            }

            status = null;
            return false;
        }
    }

    /// <summary>Takes one review from the budget; false when it is spent (the caller is refused without a review).</summary>
    public bool TryTakeReview()
    {
        var now = time.GetUtcNow();
        lock (_reviews)
        {
            _tokens = Math.Min(Burst, _tokens + ((now - _refilledAt).TotalSeconds * PerSecond));
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }

    public void Add(string key, V1TokenReviewStatus? status)
    {
        var now = time.GetUtcNow();
        lock (_reviews)
        {
            if (_reviews.Count >= MaxEntries)
            {
                foreach (var expired in _reviews.Where(r => r.Value.Until <= now).Select(r => r.Key).ToList())
                {
                    _reviews.Remove(expired);
                }

                if (_reviews.Count >= MaxEntries)
                {
                    _reviews.Clear();
                }
            }

            _reviews[key] = (status, now + Ttl);
        }
    }
}
