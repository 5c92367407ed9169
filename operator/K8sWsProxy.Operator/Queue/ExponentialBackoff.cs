namespace K8sWsProxy.Operator.Queue;

/// <summary>
/// Per-key failure counting, as client-go's ItemExponentialFailureRateLimiter: the n-th retry of a key waits
/// <c>initial × 2^(n-1)</c>, capped; a success forgets the key.
/// </summary>
public sealed class ExponentialBackoff<TKey>(TimeSpan initial, TimeSpan max)
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Lock _gate = new();

    /// <summary>The wait before the next try of <paramref name="key"/>; counts one more failure.</summary>
    public TimeSpan When(TKey key)
    {
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            var delay = initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 30));
            return TimeSpan.FromMilliseconds(Math.Min(delay, max.TotalMilliseconds));
        }
    }

    public void Forget(TKey key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }
}
