using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Compilation;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Informers;
using K8sWsProxy.Operator.Leadership;
using K8sWsProxy.Operator.Metrics;
using K8sWsProxy.Operator.Queue;
using K8sWsProxy.Operator.Status;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>
/// Wires the four steps together through one work queue. Watch: every cache change queues <see cref="ConfigKey"/>.
/// Compute and push: that key compiles the caches and offers the documents to the sidecars, then queues each
/// route's status key. Record: a sidecar's answer queues its pod's ack key (the answer goes onto the Pod).
/// Report: a status key writes that route's status; the statuses key queues every route's (a sidecar answered, or
/// a Pod or route changed in nothing the compiler reads: the answer annotation, a status write). Keys are deduplicated and each is handled by one worker
/// at a time; a failure comes back with backoff. Everything is resynced periodically.
/// </summary>
internal sealed class Controller(
    ClusterCache cache,
    WorkQueue queue,
    ConfigReconciler config,
    CompiledState state,
    StatusWriter status,
    AckRecorder acks,
    ChannelHub hub,
    LeaderElection leader,
    OperatorMetrics metrics,
    OperatorOptions options,
    TimeProvider time,
    ILogger<Controller> logger) : BackgroundService
{
    public const string ConfigKey = "config";
    private const string StatusesKey = "statuses";
    private const string StatusPrefix = "status:";
    private const string AckPrefix = "ack:";

    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every cache has listed and the first compilation is pushed: what /readyz reports.</summary>
    public Task Synced => _synced.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        cache.Routes.Changed += (before, after) => queue.Add(ConfigCompiler.ReadsChange(before, after) ? ConfigKey : StatusesKey);
        cache.Pods.Changed += (before, after) => queue.Add(ConfigCompiler.ReadsChange(before, after) ? ConfigKey : StatusesKey);
        cache.Secrets.Changed += (_, _) => queue.Add(ConfigKey);
        hub.Answered += pod =>
        {
            queue.Add(AckPrefix + pod);
            queue.Add(StatusesKey);
        };
        hub.DocumentMissing += () => queue.Add(ConfigKey);
        leader.StartedLeading += () =>
        {
            status.Forget();
            queue.Add(ConfigKey);
        };

        var informers = cache.RunAsync(stoppingToken);
        try
        {
            await cache.Synced.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await informers;
            return;
        }

        queue.Add(ConfigKey);
        var workers = Enumerable.Range(0, options.Workers).Select(_ => WorkAsync(stoppingToken)).ToList();
        _synced.TrySetResult();
        using var resync = new PeriodicTimer(options.Resync, time);
        try
        {
            while (await resync.WaitForNextTickAsync(stoppingToken))
            {
                status.Forget();
                queue.Add(ConfigKey);
            }
        }
        catch (OperationCanceledException)
        {
        }

        queue.ShutDown();
        await Task.WhenAll(workers);
        await informers;
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await queue.TakeAsync(stoppingToken);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
            {
                return;
            }

            var started = time.GetTimestamp();
            try
            {
                await HandleAsync(key, stoppingToken);
                queue.Forget(key);
                metrics.Reconciled(success: true, time.GetElapsedTime(started));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                metrics.Reconciled(success: false, time.GetElapsedTime(started));
                Log.ReconcileFailed(logger, key, e.Message);
                queue.AddRateLimited(key);
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private async Task HandleAsync(string key, CancellationToken cancellationToken)
    {
        if (key == ConfigKey)
        {
            foreach (var route in config.Reconcile())
            {
                queue.Add(StatusPrefix + route);
            }
        }
        else if (key == StatusesKey)
        {
            foreach (var route in state.RouteKeys)
            {
                queue.Add(StatusPrefix + route);
            }
        }
        else if (key.StartsWith(StatusPrefix, StringComparison.Ordinal))
        {
            await status.WriteAsync(key[StatusPrefix.Length..], cancellationToken);
        }
        else if (key.StartsWith(AckPrefix, StringComparison.Ordinal))
        {
            await acks.RecordAsync(key[AckPrefix.Length..], cancellationToken);
        }
    }
}
