namespace K8sWsProxy.Operator.Events;

/// <summary>
/// client-go's event spam filter: a token bucket per object, 25 events at once and then one per 5 minutes, so a
/// route that flaps cannot flood the namespace's events (nor the API server that stores them).
/// </summary>
internal sealed class EventBudget(TimeProvider time)
{
    public const int Burst = 25;
    public static readonly TimeSpan Refill = TimeSpan.FromMinutes(5);

    private const int MaxObjects = 4096;

    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one event from the object's budget; false when it is spent.</summary>
    public bool TryTake(string objectUid)
    {
        var now = time.GetUtcNow();
        lock (_buckets)
        {
            var (tokens, at) = _buckets.TryGetValue(objectUid, out var b) ? b : (Burst, now);
            tokens = Math.Min(Burst, tokens + ((now - at) / Refill));
            if (tokens < 1)
            {
                _buckets[objectUid] = (tokens, now);
                return false;
            }

            if (_buckets.Count >= MaxObjects && !_buckets.ContainsKey(objectUid))
            {
                // Objects come and go; the fullest buckets lose nothing by being forgotten.
                foreach (var full in _buckets.Where(kv => kv.Value.Tokens >= Burst - 1).Select(kv => kv.Key).ToList())
                {
                    _buckets.Remove(full);
                }
            }

            _buckets[objectUid] = (tokens - 1, now);
            return true;
        }
    }
}
