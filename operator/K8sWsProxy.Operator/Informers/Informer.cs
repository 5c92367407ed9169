using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace K8sWsProxy.Operator.Informers;

/// <summary>
/// A cache of one kind kept current by list+watch, as client-go's reflector: list once, then watch from the
/// list's resourceVersion, moving that point on every event and bookmark. A watch that ends (server timeout,
/// dropped connection) is resumed from that point; only 410 Gone (the point was compacted away) costs a relist,
/// which replaces the cache and reports exactly what differs. Errors back off exponentially.
/// </summary>
public sealed class Informer<T>(ListWatch<T> source, ILogger logger, TimeProvider time)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lists;

    /// <summary>(old, new): new is null for a deletion, old for an addition. Called on the informer's own loop.</summary>
    public event Action<T?, T?>? Changed;

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    public ICollection<T> Items => _items.Values;

    /// <summary>How many times the informer listed: 1 unless a watch hit 410 Gone.</summary>
    public int Lists => _lists;

    /// <summary>Where the next watch resumes; null before the first list.</summary>
    public string? ResourceVersion { get; private set; }

    private static string KeyOf(T item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";

    public T? Get(string key) => _items.GetValueOrDefault(key);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (ResourceVersion is null)
                {
                    await RelistAsync(cancellationToken);
                }

                if (await WatchAsync(ResourceVersion!, cancellationToken))
                {
                    failures = 0;
                }
                else
                {
                    // A watch that ends before its first event must not turn into a busy loop of watches.
                    await Task.Delay(FirstRetry, time, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsGone(e))
            {
                Log.WatchExpired(logger, source.Describe, ResourceVersion ?? "");
                ResourceVersion = null;
            }
            catch (Exception e)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(FirstRetry.TotalMilliseconds * Math.Pow(2, failures++), LastRetry.TotalMilliseconds));
                Log.ListWatchFailed(logger, source.Describe, delay.TotalMilliseconds, e.Message);
                try
                {
                    await Task.Delay(delay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        var (items, resourceVersion) = await source.List(cancellationToken);
        Interlocked.Increment(ref _lists);
        var fresh = items.ToDictionary(KeyOf, StringComparer.Ordinal);
        foreach (var (key, item) in fresh)
        {
            var old = _items.GetValueOrDefault(key);
            _items[key] = item;
            if (old?.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
            {
                Changed?.Invoke(old, item);
            }
        }

        foreach (var (key, old) in _items.Where(p => !fresh.ContainsKey(p.Key)).ToList())
        {
            _items.TryRemove(key, out _);
            Changed?.Invoke(old, null);
        }

        ResourceVersion = resourceVersion;
        Log.Listed(logger, source.Describe, fresh.Count, resourceVersion);
        _synced.TrySetResult();
    }

    /// <returns>Whether any event arrived, so errors after progress start their backoff afresh.</returns>
    private async Task<bool> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        Exception? error = null;
        var progressed = false;
        await foreach (var (type, item) in source.Watch(resourceVersion, e => error ??= e, cancellationToken))
        {
            progressed = true;
            switch (type)
            {
                case WatchEventType.Added or WatchEventType.Modified:
                    var old = _items.GetValueOrDefault(KeyOf(item));
                    _items[KeyOf(item)] = item;
                    Changed?.Invoke(old, item);
                    break;
                case WatchEventType.Deleted:
                    if (_items.TryRemove(KeyOf(item), out var removed))
                    {
                        Changed?.Invoke(removed, null);
                    }

                    break;
            }

            // Bookmarks carry only a resourceVersion: the point to resume from, so a dropped watch need not relist.
            ResourceVersion = item.Metadata.ResourceVersion ?? ResourceVersion;
        }

        if (error is not null)
        {
            throw error;
        }

        return progressed;
    }

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == 410,
        HttpOperationException h => h.Response?.StatusCode == System.Net.HttpStatusCode.Gone,
        _ => false,
    };
}
