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
/// Wires the four steps together through one work queue (its keys: <see cref="ControllerWork"/>). Watch: every cache
/// change queues <see cref="CompileAndPush"/>. Compute and push: that compiles the caches and offers the documents to
/// the sidecars, then queues a <see cref="ReportRoute"/> per route. Record: a sidecar's answer queues
/// <see cref="RecordSidecar"/> for its pod (the answer goes onto the Pod). Report: <see cref="ReportRoute"/> writes that
/// route's status (also when the route changed in nothing the compiler reads, a status write); <see cref="ReportPod"/>
/// queues it for every route that selects the pod (its sidecar answered, or the answer on the Pod changed). Keys are deduplicated and each is handled by
/// one worker at a time; a failure comes back with backoff. Everything is resynced periodically.
/// </summary>
internal sealed class Controller(
    ClusterCache cache,
    WorkQueue<ControllerWork> queue,
    ConfigReconciler config,
    CompiledState state,
    StatusWriter status,
    SidecarRecorder acks,
    ChannelHub hub,
    LeaderElection leader,
    OperatorMetrics metrics,
    OperatorOptions options,
    TimeProvider time,
    ILogger<Controller> logger) : BackgroundService
{
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // When the oldest change not yet compiled was seen (0: none): where the operator's fan-out time starts.
    private long _changeSeenAt;

    /// <summary>Completes once every cache has listed and the first compilation is pushed: what /readyz reports.</summary>
    public Task Synced => _synced.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        cache.Routes.Changed += (before, after) => Queue(ConfigCompiler.ReadsChange(before, after) ? CompileAndPush.Work : new ReportRoute(after!.Key));
        cache.Pods.Changed += (before, after) => Queue(ConfigCompiler.ReadsChange(before, after) ? CompileAndPush.Work : new ReportPod(PodRef.Of(after!).Key));
        cache.Secrets.Changed += (_, _) => Queue(CompileAndPush.Work);
        hub.Reported += pod =>
        {
            queue.Add(new RecordSidecar(pod));
            queue.Add(new ReportPod(pod));
        };
        hub.DocumentMissing += () => queue.Add(CompileAndPush.Work);
        leader.StartedLeading += () =>
        {
            status.Forget();
            queue.Add(CompileAndPush.Work);
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

        queue.Add(CompileAndPush.Work);
        var workers = Enumerable.Range(0, options.Workers).Select(_ => WorkAsync(stoppingToken)).ToList();
        _synced.TrySetResult();
        using var resync = new PeriodicTimer(options.Resync, time);
        try
        {
            while (await resync.WaitForNextTickAsync(stoppingToken))
            {
                status.Forget();
                queue.Add(CompileAndPush.Work);
            }
        }
        catch (OperationCanceledException)
        {
        }

        queue.ShutDown();
        await Task.WhenAll(workers);
        await informers;
    }

    private void Queue(ControllerWork work)
    {
        if (work is CompileAndPush)
        {
            Interlocked.CompareExchange(ref _changeSeenAt, time.GetTimestamp(), 0);
        }

        queue.Add(work);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ControllerWork work;
            try
            {
                work = await queue.TakeAsync(stoppingToken);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
            {
                return;
            }

            var started = time.GetTimestamp();
            try
            {
                await HandleAsync(work, stoppingToken);
                queue.Forget(work);
                metrics.Reconciled(success: true, time.GetElapsedTime(started));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                metrics.Reconciled(success: false, time.GetElapsedTime(started));
                Log.ReconcileFailed(logger, work.ToString(), e.Message);
                queue.AddRateLimited(work);
            }
            finally
            {
                queue.Done(work);
            }
        }
    }

    private async Task HandleAsync(ControllerWork work, CancellationToken cancellationToken)
    {
        switch (work)
        {
            case CompileAndPush:
                var seen = Interlocked.Exchange(ref _changeSeenAt, 0);
                foreach (var route in config.Reconcile(seen == 0 ? time.GetTimestamp() : seen))
                {
                    queue.Add(new ReportRoute(route));
                }

                break;
            case ReportPod pod:
                foreach (var route in state.RoutesOf(pod.Pod))
                {
                    queue.Add(new ReportRoute(route));
                }

                break;
            case ReportRoute report:
                await status.WriteAsync(report.Route, cancellationToken);
                break;
            case RecordSidecar ack:
                await acks.RecordAsync(ack.Pod, cancellationToken);
                break;
        }
    }
}
