namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>
/// Gives memory back after a burst of new connections. Each handshake leaves a few KB of garbage, and a burst of them
/// leaves the GC's heap committed and fragmented at about twice what the open connections hold: 7.5 KB resident
/// per idle connection against 4.1 KB live, measured at 8,000. The GC itself compacts only when it next needs room,
/// which a quiet proxy never does. So once a second passes in which the process allocated little, and the GC's
/// committed memory has grown by <see cref="GrowthBytes"/> since the last trim, one compacting collection returns the rest.
/// Its pause stops the relay like any full collection (42 ms at 8,000 connections, measured); it comes once per burst,
/// and not while more than <see cref="MaxPendingHandshakes"/> connections are still in their handshake: 10,000 half-open
/// connections made a 63 ms pause that raised well-behaved connections' p99 from 3 to 95 ms; they are cut after 10 s,
/// and a trim after that has far less to move.
/// </summary>
internal sealed class MemoryTrimmer(PendingHandshakes pending, TimeProvider time, ILogger<MemoryTrimmer> logger) : BackgroundService
{
    private const long GrowthBytes = 8 << 20;
    private const long QuietBytes = 1 << 20;
    internal const int MaxPendingHandshakes = 100;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>One compacting collection that also gives the freed memory back to the system; the committed bytes after it.</summary>
    public static long Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo().TotalCommittedBytes;
    }

    /// <summary>A quiet second after the heap grew by <see cref="GrowthBytes"/>, with the burst's handshakes over.</summary>
    internal static bool IsTime(bool quiet, long grownBytes, int pendingHandshakes) =>
        quiet && grownBytes >= GrowthBytes && pendingHandshakes <= MaxPendingHandshakes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var baseline = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var allocated = GC.GetTotalAllocatedBytes();
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var quiet = now - allocated < QuietBytes;
                allocated = now;
                // Measured from the lowest point since the last trim: the start-up trim comes after this service starts.
                var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
                baseline = Math.Min(baseline, committed);
                if (IsTime(quiet, committed - baseline, pending.Count))
                {
                    var started = time.GetTimestamp();
                    baseline = Trim();
                    Log.MemoryTrimmed(logger, committed >> 20, baseline >> 20, (long)time.GetElapsedTime(started).TotalMilliseconds);
                    allocated = GC.GetTotalAllocatedBytes();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
