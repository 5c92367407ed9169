using System.Diagnostics;
using HdrHistogram;
using static K8sWsProxy.Bench.Load.Scenarios;

namespace K8sWsProxy.Bench.Load;

/// <summary>
/// One run of <see cref="Scenarios.FixedRateAsync"/> over open connections: a pacer thread releases message k at
/// start + k/rate on connection k mod n; a connection still waiting for an echo queues it and sends it as soon as the
/// echo comes. Round trips count from the release (coordinated omission corrected) and from the actual send.
/// </summary>
internal sealed class FixedRateRun
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly LongHistogram _corrected = new(1, 60_000_000, 3);
    private readonly LongHistogram _raw = new(1, 60_000_000, 3);
    private readonly Connection[] _connections;
    private readonly double _ratePerSecond;
    private readonly TimeSpan _planned;
    private readonly long _start;
    private readonly long _warmEnd;
    private readonly long _stop;
    private readonly CancellationTokenSource _receiving;
    private long _sent;
    private long _received;
    private long _lateMax;
    private int _dropped;

    public FixedRateRun(IEnumerable<WsConnection> open, int payloadBytes, double ratePerSecond, TimeSpan warmup, TimeSpan measure, CancellationToken cancel)
    {
        _connections = [.. open.Select(c => new Connection(c, Frame(payloadBytes)))];
        _ratePerSecond = ratePerSecond;
        _planned = warmup + (3 * measure);
        _start = Now;
        _warmEnd = _start + Ticks(warmup);
        _stop = _warmEnd + Ticks(measure);
        _receiving = CancellationTokenSource.CreateLinkedTokenSource(cancel);
    }

    /// <summary>Until the measured window is over and <paramref name="during"/> (run alongside it) has ended; then the last echoes (2 s at most).</summary>
    public async Task<LatencyResult> RunAsync(Func<CancellationToken, Task>? during, CancellationToken cancel)
    {
        var receivers = _connections.Select(c => Task.Run(() => ReceiveAsync(c), CancellationToken.None)).ToArray();
        var sideTask = during is null ? Task.CompletedTask : Task.Run(async () =>
        {
            while (Now < _warmEnd)
            {
                await Task.Delay(10, cancel);
            }

            await during(cancel);
        }, CancellationToken.None);
        // Awaited, not joined: a pool thread blocked in Join starved the receivers (the harness runs on one CPU, so the
        // pool starts with one worker): the first run of a process showed a stall near a second, the pacer on time.
        var paced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pacer = new Thread(() =>
        {
            try
            {
                Pace(sideTask, cancel);
            }
            finally
            {
                paced.SetResult();
            }
        })
        { IsBackground = true, Name = "pacer" };
        pacer.Start();
        await paced.Task;
        var measured = (Now - _warmEnd) / (double)Stopwatch.Frequency;
        await sideTask;

        var drainUntil = Now + Ticks(TimeSpan.FromSeconds(2));
        while (Interlocked.Read(ref _received) < Interlocked.Read(ref _sent) && Now < drainUntil && Volatile.Read(ref _dropped) < _connections.Length)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        await _receiving.CancelAsync();
        await Task.WhenAll(receivers);
        foreach (var c in _connections)
        {
            c.Socket.Dispose();
        }

        _receiving.Dispose();
        return new LatencyResult(
            _corrected.GetValueAtPercentile(50), _corrected.GetValueAtPercentile(99), _corrected.GetValueAtPercentile(99.9), _corrected.GetMaxValue(),
            _raw.GetValueAtPercentile(50), _raw.GetValueAtPercentile(99),
            _corrected.TotalCount / measured, _sent, _received, _dropped, (long)(_lateMax * MicrosPerTick));
    }

    /// <summary>The pacer thread. Past the planned stop it goes on while the side task (reloads) runs, up to three times the plan.</summary>
    private void Pace(Task sideTask, CancellationToken cancel)
    {
        var interval = Stopwatch.Frequency / _ratePerSecond;
        var maxCount = (long)(_ratePerSecond * _planned.TotalSeconds) + 1;
        for (long k = 0; k < maxCount && !cancel.IsCancellationRequested; k++)
        {
            var due = _start + (long)(k * interval);
            if (due >= _stop && sideTask.IsCompleted)
            {
                break;
            }

            WaitUntil(due);
            // Latency counts from when the pacer released the message: its own lateness (it sleeps, in steps of about a
            // millisecond) is reported apart and is not the system's. A message that waits behind an unanswered one on
            // its connection still counts from its release (coordinated omission corrected).
            var released = Now;
            _lateMax = Math.Max(_lateMax, released - due);
            var c = _connections[k % _connections.Length];
            bool sendNow;
            lock (c)
            {
                c.Pending.Enqueue(released);
                sendNow = !c.InFlight;
                c.InFlight = true;
            }

            Interlocked.Increment(ref _sent);
            if (sendNow)
            {
                Send(c);
            }
        }
    }

    private void Send(Connection c)
    {
        c.SentAt = Now;
        _ = SendSafeAsync(c);
    }

    private async Task SendSafeAsync(Connection c)
    {
        try
        {
            await c.Socket.SendAsync(c.Frame, _receiving.Token);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive loop sees the connection end and counts it.
        }
    }

    private async Task ReceiveAsync(Connection c)
    {
        try
        {
            while (true)
            {
                var (kind, _) = await c.Socket.ReceiveAsync(_receiving.Token);
                if (kind != Received.Message)
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                var now = Now;
                long intended;
                bool more;
                lock (c)
                {
                    intended = c.Pending.Dequeue();
                    more = c.Pending.Count > 0;
                    c.InFlight = more;
                }

                Interlocked.Increment(ref _received);
                if (intended >= _warmEnd)
                {
                    lock (_corrected)
                    {
                        _corrected.RecordValue(Math.Max(1, (long)((now - intended) * MicrosPerTick)));
                        _raw.RecordValue(Math.Max(1, (long)((now - c.SentAt) * MicrosPerTick)));
                    }
                }

                if (more)
                {
                    Send(c);
                }
            }
        }
        catch (OperationCanceledException) when (_receiving.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or InvalidOperationException)
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>
    /// Sleeps until the due time. Never spins or yields: the pacer shares a core with the client and the echo upstream,
    /// and a spinning pacer starved them (the direct connection, which has no other core, showed a one-second p99).
    /// </summary>
    private static void WaitUntil(long due)
    {
        while (due - Now > 0)
        {
            Thread.Sleep(1);
        }
    }

    /// <summary>One paced connection: the frame it sends, the release times of its messages not yet echoed.</summary>
    private sealed class Connection(WsConnection socket, byte[] frame)
    {
        public WsConnection Socket { get; } = socket;

        public byte[] Frame { get; } = frame;

        public Queue<long> Pending { get; } = new();

        public bool InFlight { get; set; }

        public long SentAt { get; set; }
    }
}
