using System.Collections.Concurrent;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// How often a pod's new channel connection may replace its connected one: <see cref="PerWindow"/> times per
/// <see cref="Window"/>. A restarted sidecar whose old connection is not yet seen closed replaces it once; a stolen
/// token used to knock the pod's sidecar off again and again is refused (429) once the budget is spent, and the
/// connected session stays. The token still is the pod's identity until it expires or the pod is deleted.
/// </summary>
internal sealed class ReplacementBudget(TimeProvider time)
{
    public const int PerWindow = 3;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _recent = new(StringComparer.Ordinal);
    private DateTimeOffset _swept = time.GetUtcNow();

    /// <summary>Pods with a replacement in the last window or so.</summary>
    public int Tracked => _recent.Count;

    /// <summary>Spends one replacement of <paramref name="podKey"/>'s session; false when none is left in the window.</summary>
    public bool TrySpend(string podKey)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        var recent = _recent.GetOrAdd(podKey, _ => new Queue<DateTimeOffset>());
        lock (recent)
        {
            while (recent.TryPeek(out var oldest) && now - oldest >= Window)
            {
                recent.Dequeue();
            }

            if (recent.Count >= PerWindow)
            {
                return false;
            }

            recent.Enqueue(now);
            return true;
        }
    }

    // Pods come and go under new names: a window after its last replacement a pod's entry is forgotten, so the
    // budget holds only pods that replaced lately.
    private void Sweep(DateTimeOffset now)
    {
        if (now - _swept < Window)
        {
            return;
        }

        _swept = now;
        foreach (var (pod, recent) in _recent)
        {
            lock (recent)
            {
                if (!recent.TryPeek(out _) || now - recent.Last() >= Window)
                {
                    _recent.TryRemove(new KeyValuePair<string, Queue<DateTimeOffset>>(pod, recent));
                }
            }
        }
    }
}
