using System.Text.Json.Nodes;
using System.Threading.Channels;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Storage;

/// <summary>
/// The emulator's etcd: objects by resource and namespace/name, one global revision counter, a bounded
/// change log for watch replay, and the open watch subscriptions. One lock guards all of it; it is cheap
/// enough for tests and makes every read-modify-write trivially atomic (callers may hold <see cref="Gate"/>
/// across a get and a commit, the lock is re-entrant).
/// </summary>
internal sealed class ObjectStore(int historyLimit)
{
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _buckets = [];
    private readonly List<StoredEvent> _history = [];
    private readonly List<WatchSubscription> _subscriptions = [];
    private CancellationTokenSource _dropWatches = new();
    private long _revision;

    // Watches may resume from any revision >= this one; older ones get 410 Gone.
    private long _oldestResumable;

    public object Gate { get; } = new();

    public long Revision
    {
        get
        {
            lock (Gate)
            {
                return _revision;
            }
        }
    }

    /// <summary>The oldest revision a watch or a continue token may start from.</summary>
    public long OldestResumable
    {
        get
        {
            lock (Gate)
            {
                return _oldestResumable;
            }
        }
    }

    public JsonObject? Get(string storageKey, string ns, string name)
    {
        lock (Gate)
        {
            return _buckets.TryGetValue(storageKey, out var bucket) && bucket.TryGetValue(Key(ns, name), out var obj) ? obj : null;
        }
    }

    /// <summary>Objects in key order (namespace, then name), as etcd returns them; all namespaces when <paramref name="ns"/> is empty.</summary>
    public (IReadOnlyList<JsonObject> Items, long Revision) List(string storageKey, string ns)
    {
        lock (Gate)
        {
            if (!_buckets.TryGetValue(storageKey, out var bucket))
            {
                return ([], _revision);
            }

            var items = ns.Length == 0
                ? bucket.Values.ToArray()
                : bucket.Where(p => p.Key.StartsWith(ns + "/", StringComparison.Ordinal)).Select(p => p.Value).ToArray();
            return (items, _revision);
        }
    }

    /// <summary>
    /// Writes <paramref name="obj"/> (a fresh object nobody else holds) at the next revision, records the change and
    /// wakes the watches. A Deleted change removes the object. Returns the stored object.
    /// </summary>
    public JsonObject Commit(string storageKey, ChangeType type, JsonObject obj, JsonObject? previous)
    {
        lock (Gate)
        {
            var revision = ++_revision;
            obj.Meta()["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_buckets.TryGetValue(storageKey, out var bucket))
            {
                bucket = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
                _buckets[storageKey] = bucket;
            }

            var key = Key(obj.Namespace(), obj.Name());
            if (type == ChangeType.Deleted)
            {
                bucket.Remove(key);
            }
            else
            {
                bucket[key] = obj;
            }

            var change = new StoredEvent(revision, storageKey, type, obj, previous);
            _history.Add(change);
            if (_history.Count > historyLimit)
            {
                var dropped = _history.Count / 2;
                _oldestResumable = _history[dropped - 1].Revision;
                _history.RemoveRange(0, dropped);
            }

            foreach (var subscription in _subscriptions)
            {
                if (subscription.StorageKey == storageKey)
                {
                    subscription.Writer.TryWrite(change);
                }
            }

            return obj;
        }
    }

    /// <summary>
    /// Opens a watch on <paramref name="storageKey"/>. With no revision it starts with a synthetic ADDED per current
    /// object; with one it replays every later change from the log, or fails with 410 when the log no longer reaches back.
    /// </summary>
    public WatchSubscription Subscribe(string storageKey, long? afterRevision)
    {
        lock (Gate)
        {
            if (afterRevision is { } from && from < _oldestResumable)
            {
                throw ApiException.Gone($"too old resource version: {from} ({_oldestResumable})");
            }

            var subscription = new WatchSubscription(this, storageKey, _dropWatches.Token);
            if (afterRevision is { } after)
            {
                foreach (var change in _history)
                {
                    if (change.Revision > after && change.StorageKey == storageKey)
                    {
                        subscription.Writer.TryWrite(change);
                    }
                }
            }
            else if (_buckets.TryGetValue(storageKey, out var bucket))
            {
                foreach (var obj in bucket.Values)
                {
                    subscription.Writer.TryWrite(new StoredEvent(long.Parse(obj.ResourceVersion(), System.Globalization.CultureInfo.InvariantCulture), storageKey, ChangeType.Added, obj, null));
                }
            }

            subscription.InitialCount = subscription.Events.Count;
            _subscriptions.Add(subscription);
            return subscription;
        }
    }

    /// <summary>Test hook: forgets the change log, so the next watch from any earlier revision gets 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (Gate)
        {
            _history.Clear();
            _oldestResumable = _revision;
        }
    }

    /// <summary>Test hook: ends every open watch stream, as an apiserver restart or a load balancer would.</summary>
    public void DropWatches()
    {
        CancellationTokenSource old;
        lock (Gate)
        {
            old = _dropWatches;
            _dropWatches = new CancellationTokenSource();
        }

        // Not disposed: watches that have not yet looked at the token still read it.
        old.Cancel();
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (Gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private static string Key(string ns, string name) => ns + "/" + name;
}

/// <summary>An open watch: the changes to deliver, in revision order, and a token that fires when the emulator drops watches.</summary>
internal sealed class WatchSubscription(ObjectStore store, string storageKey, CancellationToken dropped) : IDisposable
{
    private readonly Channel<StoredEvent> _channel = Channel.CreateUnbounded<StoredEvent>();

    public string StorageKey { get; } = storageKey;

    public CancellationToken Dropped { get; } = dropped;

    public ChannelReader<StoredEvent> Events => _channel.Reader;

    /// <summary>How many of the queued events were there at subscription time (synthetic ADDED or replay).</summary>
    public int InitialCount { get; internal set; }

    internal ChannelWriter<StoredEvent> Writer => _channel.Writer;

    public void Dispose() => store.Unsubscribe(this);
}
