using System.Threading.Channels;

namespace K8sWsProxy.KubeEmulator.Tests.Infrastructure;

/// <summary>Runs a KubernetesClient watch in the background and hands its events to the test, one at a time, with a deadline.</summary>
internal sealed class WatchRecorder<T> : IAsyncDisposable
{
    private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    /// <param name="start">Opens the watch, given the client's onError callback and a token.</param>
    public WatchRecorder(Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> start) =>
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, item) in start(Errors.Add, _stop.Token))
                {
                    _events.Writer.TryWrite((type, item));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
                Errors.Add(e);
            }
            finally
            {
                _events.Writer.TryComplete();
            }
        });

    /// <summary>What the client reported through its onError callback (a 410 arrives here) or threw.</summary>
    public List<Exception> Errors { get; } = [];

    /// <summary>Completes when the watch stream has ended.</summary>
    public Task Ended => _pump;

    /// <summary>The next event, skipping bookmarks unless they are wanted; fails after the timeout.</summary>
    public async Task<(WatchEventType Type, T Object)> NextAsync(bool includeBookmarks = false, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var next = await _events.Reader.ReadAsync(deadline.Token);
            if (includeBookmarks || next.Type != WatchEventType.Bookmark)
            {
                return next;
            }
        }
    }

    /// <summary>True when nothing but bookmarks arrives within <paramref name="quiet"/>.</summary>
    public async Task<bool> IsQuietAsync(TimeSpan quiet)
    {
        try
        {
            await NextAsync(timeout: quiet);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
    }
}
