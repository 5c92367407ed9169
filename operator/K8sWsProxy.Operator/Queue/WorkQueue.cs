using System.Threading.Channels;

namespace K8sWsProxy.Operator.Queue;

/// <summary>
/// client-go's work queue: a key added many times before a worker takes it is handled once (dedup); a key
/// being handled is never given to a second worker, and a key added meanwhile is handed out again once the
/// first worker is done; failed keys come back after a per-key exponential backoff.
/// </summary>
/// <typeparam name="TKey">What a worker does; equal keys are the same work.</typeparam>
public sealed class WorkQueue<TKey>(ExponentialBackoff<TKey> backoff, TimeProvider time)
    where TKey : notnull
{
    private readonly Channel<TKey> _ready = System.Threading.Channels.Channel.CreateUnbounded<TKey>();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Lock _gate = new();
    private bool _shutDown;

    public int Length
    {
        get
        {
            lock (_gate)
            {
                return _dirty.Count;
            }
        }
    }

    public void Add(TKey key)
    {
        lock (_gate)
        {
            if (_shutDown || !_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }

            _ready.Writer.TryWrite(key);
        }
    }

    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        // The timer holds itself alive until it fires once.
        ITimer? timer = null;
        timer = time.CreateTimer(_ => { Add(key); timer?.Dispose(); }, null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>After a failure: again, once the key's backoff has passed.</summary>
    public void AddRateLimited(TKey key) => AddAfter(key, backoff.When(key));

    /// <summary>After a success: the key's next failure starts from the initial backoff.</summary>
    public void Forget(TKey key) => backoff.Forget(key);

    /// <summary>The next key to handle; the caller must call <see cref="Done"/> with it.</summary>
    public async ValueTask<TKey> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(cancellationToken);
            lock (_gate)
            {
                if (_dirty.Remove(key))
                {
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    public void Done(TKey key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutDown)
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    /// <summary>No more keys are accepted; workers waiting in <see cref="TakeAsync"/> end.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            _shutDown = true;
            _ready.Writer.TryComplete();
        }
    }
}
