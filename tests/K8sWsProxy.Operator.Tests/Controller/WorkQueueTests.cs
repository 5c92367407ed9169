using K8sWsProxy.Operator.Queue;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(50);

    private static (WorkQueue<string> Queue, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider();
        return (new WorkQueue<string>(new ExponentialBackoff<string>(Initial, TimeSpan.FromSeconds(1)), time), time);
    }

    /// <summary>The next key, or null when none is ready within a short wait.</summary>
    private static async Task<string?> TryTakeAsync(WorkQueue<string> queue)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        try
        {
            return await queue.TakeAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_key_added_many_times_before_it_is_taken_is_handed_out_once()
    {
        var (queue, _) = Create();
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");
        queue.Add("a");

        Assert.Equal(2, queue.Length);
        Assert.Equal("a", await TryTakeAsync(queue));
        Assert.Equal("b", await TryTakeAsync(queue));
        Assert.Null(await TryTakeAsync(queue));
    }

    [Fact]
    public async Task A_key_being_handled_is_not_handed_to_a_second_worker_until_done_and_then_once_more()
    {
        var (queue, _) = Create();
        queue.Add("a");
        Assert.Equal("a", await TryTakeAsync(queue));

        queue.Add("a");
        queue.Add("a");
        queue.Add("b");
        Assert.Equal("b", await TryTakeAsync(queue));
        Assert.Null(await TryTakeAsync(queue));

        queue.Done("a");
        Assert.Equal("a", await TryTakeAsync(queue));
        queue.Done("a");
        queue.Done("b");
        Assert.Null(await TryTakeAsync(queue));
    }

    [Fact]
    public async Task Concurrent_workers_never_hold_the_same_key_at_once()
    {
        var (queue, _) = Create();
        var holding = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var handled = 0;
        using var stop = new CancellationTokenSource();

        async Task Worker()
        {
            while (!stop.IsCancellationRequested)
            {
                string key;
                try
                {
                    key = await queue.TakeAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (holding.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                await Task.Yield();
                holding.AddOrUpdate(key, 0, (_, n) => n - 1);
                Interlocked.Increment(ref handled);
                queue.Done(key);
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToList();
        for (var i = 0; i < 2000; i++)
        {
            queue.Add($"k{i % 3}");
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (queue.Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, overlaps);
        Assert.InRange(handled, 3, 2000);
    }

    [Fact]
    public async Task Failed_keys_come_back_after_an_exponential_backoff_and_a_success_resets_it()
    {
        var (queue, time) = Create();
        foreach (var expected in new[] { 50, 100, 200, 400, 800, 1000, 1000 })
        {
            queue.AddRateLimited("a");
            time.Advance(TimeSpan.FromMilliseconds(expected - 1));
            Assert.Null(await TryTakeAsync(queue));
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal("a", await TryTakeAsync(queue));
            queue.Done("a");
        }

        queue.Forget("a");
        queue.AddRateLimited("a");
        time.Advance(Initial);
        Assert.Equal("a", await TryTakeAsync(queue));
    }

    [Fact]
    public async Task Shut_down_ends_waiting_workers_and_refuses_new_keys()
    {
        var (queue, _) = Create();
        var waiting = queue.TakeAsync(CancellationToken.None).AsTask();
        queue.ShutDown();
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => waiting);
        queue.Add("a");
        Assert.Equal(0, queue.Length);
    }
}
