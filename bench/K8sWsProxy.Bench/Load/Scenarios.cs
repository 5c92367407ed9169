using System.Diagnostics;
using HdrHistogram;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Load;

internal sealed record ThroughputResult(double MessagesPerSecond, long Messages, long Errors, long AllMessages);

/// <summary>Round trips in microseconds: corrected = from the intended send time (coordinated omission), raw = from the actual send.</summary>
internal sealed record LatencyResult(
    double P50, double P99, double P999, double Max, double RawP50, double RawP99, double AchievedRate,
    long Sent, long Received, int ConnectionsDropped, long PacerLateMaxMicros);

internal sealed record HandshakeResult(double PerSecond, long Succeeded, long Failed, string? FirstError, long AllSucceeded)
{
    public double SuccessRate => Succeeded + Failed == 0 ? 0 : (double)Succeeded / (Succeeded + Failed);
}

/// <summary>The load scenarios; every loop is bounded by a deadline and by a count.</summary>
internal static class Scenarios
{
    private static readonly byte[] CloseFrame = WsFrame.EncodeClose(1000, 0x1234_5678);

    public static long Now => Stopwatch.GetTimestamp();

    public static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    public static byte[] Frame(int payloadBytes)
    {
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        return WsFrame.EncodeClient(Opcode.Binary, payload, (uint)Random.Shared.Next());
    }

    /// <summary>Opens <paramref name="count"/> connections, <paramref name="parallel"/> at a time; failures are counted, not thrown.</summary>
    public static async Task<(List<WsConnection> Open, int Failed, string? FirstError)> OpenAsync(
        Target target, SourceAddresses sources, int count, int parallel, int bufferSize, bool echoOnce, TimeSpan timeout, CancellationToken cancel)
    {
        var open = new List<WsConnection>(count);
        var failed = 0;
        string? firstError = null;
        var next = -1;
        var probe = Frame(64);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) < count && !deadline.IsCancellationRequested)
            {
                WsConnection? c = null;
                try
                {
                    c = await WsConnection.ConnectAsync(target, sources.Next(), bufferSize, deadline.Token);
                    if (echoOnce)
                    {
                        await c.SendAsync(probe, deadline.Token);
                        var (kind, _) = await c.ReceiveAsync(deadline.Token);
                        if (kind != Received.Message)
                        {
                            throw new IOException($"echo answered {kind}");
                        }
                    }

                    lock (open)
                    {
                        open.Add(c);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    c?.Dispose();
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(parallel, count)).Select(_ => Task.Run(Worker, CancellationToken.None)));
        return (open, failed + Math.Max(0, count - open.Count - failed), firstError);
    }

    /// <summary>Close handshakes for all, at most <paramref name="parallel"/> at a time and within <paramref name="timeout"/>; then dispose.</summary>
    public static async Task CloseAllAsync(IReadOnlyList<WsConnection> connections, int parallel, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var next = -1;
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < connections.Count)
            {
                try
                {
                    if (!deadline.IsCancellationRequested)
                    {
                        await connections[i].CloseAsync(CloseFrame, deadline.Token);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    // Closing anyway.
                }
                finally
                {
                    connections[i].Dispose();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, Math.Min(parallel, connections.Count))).Select(_ => Task.Run(Worker, CancellationToken.None)));
    }

    /// <summary>Closed loop: every connection sends a message and waits for its echo, again and again.</summary>
    public static async Task<ThroughputResult> ThroughputAsync(
        Target target, SourceAddresses sources, int connections, int payloadBytes, TimeSpan warmup, TimeSpan measure, CancellationToken cancel)
    {
        var (open, failed, error) = await OpenAsync(target, sources, connections, 50, payloadBytes + 4096, false, TimeSpan.FromSeconds(20), cancel);
        if (open.Count == 0)
        {
            throw new IOException($"no connection opened: {error}");
        }

        long messages = 0, all = 0, errors = failed;
        var warmEnd = Now + Ticks(warmup);
        var stop = warmEnd + Ticks(measure);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(warmup + measure + TimeSpan.FromSeconds(10));
        async Task Loop(WsConnection c)
        {
            var frame = Frame(payloadBytes);
            long local = 0;
            try
            {
                while (true)
                {
                    await c.SendAsync(frame, deadline.Token);
                    var (kind, length) = await c.ReceiveAsync(deadline.Token);
                    if (kind != Received.Message || length != payloadBytes)
                    {
                        Interlocked.Increment(ref errors);
                        break;
                    }

                    var now = Now;
                    Interlocked.Increment(ref all);
                    if (now >= stop)
                    {
                        break;
                    }

                    if (now >= warmEnd)
                    {
                        local++;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref errors);
            }

            Interlocked.Add(ref messages, local);
        }

        await Task.WhenAll(open.Select(c => Task.Run(() => Loop(c), CancellationToken.None)));
        await CloseAllAsync(open, 50, TimeSpan.FromSeconds(5));
        return new ThroughputResult(messages / measure.TotalSeconds, messages, errors, all);
    }

    /// <summary>
    /// Fixed rate over <paramref name="connections"/>: a pacer thread schedules message k at start + k/rate on
    /// connection k mod n; a connection still waiting for an echo queues it and sends it as soon as the echo comes.
    /// Latency is measured from the scheduled time (coordinated omission corrected) and from the actual send.
    /// <paramref name="during"/> runs alongside the measured part (reload scenario).
    /// </summary>
    public static async Task<LatencyResult> FixedRateAsync(
        Target target, SourceAddresses sources, int connections, int payloadBytes, double ratePerSecond, TimeSpan warmup, TimeSpan measure,
        Func<CancellationToken, Task>? during, CancellationToken cancel)
    {
        var (open, _, error) = await OpenAsync(target, sources, connections, 50, payloadBytes + 4096, true, TimeSpan.FromSeconds(20), cancel);
        if (open.Count == 0)
        {
            throw new IOException($"no connection opened: {error}");
        }

        var corrected = new LongHistogram(1, 60_000_000, 3);
        var raw = new LongHistogram(1, 60_000_000, 3);
        var paced = open.Select(c => new Paced(c, Frame(payloadBytes))).ToArray();
        var start = Now;
        var warmEnd = start + Ticks(warmup);
        var stop = warmEnd + Ticks(measure);
        var interval = Stopwatch.Frequency / ratePerSecond;
        var microsPerTick = 1_000_000.0 / Stopwatch.Frequency;
        long sent = 0, received = 0, lateMax = 0;
        var dropped = 0;
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(cancel);

        void Send(Paced p)
        {
            p.SentAt = Now;
            _ = SendSafe(p);
        }

        async Task SendSafe(Paced p)
        {
            try
            {
                await p.Connection.SendAsync(p.Frame, receiving.Token);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The receive loop sees the connection end and counts it.
            }
        }

        async Task Receive(Paced p)
        {
            try
            {
                while (true)
                {
                    var (kind, _) = await p.Connection.ReceiveAsync(receiving.Token);
                    if (kind != Received.Message)
                    {
                        Interlocked.Increment(ref dropped);
                        return;
                    }

                    var now = Now;
                    long intended;
                    bool more;
                    lock (p)
                    {
                        intended = p.Pending.Dequeue();
                        more = p.Pending.Count > 0;
                        p.InFlight = more;
                    }

                    Interlocked.Increment(ref received);
                    if (intended >= warmEnd)
                    {
                        lock (corrected)
                        {
                            corrected.RecordValue(Math.Max(1, (long)((now - intended) * microsPerTick)));
                            raw.RecordValue(Math.Max(1, (long)((now - p.SentAt) * microsPerTick)));
                        }
                    }

                    if (more)
                    {
                        Send(p);
                    }
                }
            }
            catch (OperationCanceledException) when (receiving.IsCancellationRequested)
            {
                // The run is over.
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or InvalidOperationException)
            {
                Interlocked.Increment(ref dropped);
            }
        }

        var receivers = paced.Select(p => Task.Run(() => Receive(p), CancellationToken.None)).ToArray();
        var sideTask = during is null ? Task.CompletedTask : Task.Run(async () =>
        {
            while (Now < warmEnd)
            {
                await Task.Delay(10, cancel);
            }

            await during(cancel);
        }, CancellationToken.None);
        var pacer = new Thread(() =>
        {
            // Past the planned stop the pacer goes on while the side task (reloads) runs, up to three times the plan.
            var maxCount = (long)(ratePerSecond * (warmup + 3 * measure).TotalSeconds) + 1;
            for (long k = 0; k < maxCount && !cancel.IsCancellationRequested; k++)
            {
                var due = start + (long)(k * interval);
                if (due >= stop && sideTask.IsCompleted)
                {
                    break;
                }

                WaitUntil(due);
                // Latency counts from when the pacer released the message: its own lateness (it sleeps, in steps of
                // about a millisecond) is reported apart and is not the system's. A message that waits behind an
                // unanswered one on its connection still counts from its release (coordinated omission corrected).
                var released = Now;
                lateMax = Math.Max(lateMax, released - due);
                var p = paced[k % paced.Length];
                bool sendNow;
                lock (p)
                {
                    p.Pending.Enqueue(released);
                    sendNow = !p.InFlight;
                    p.InFlight = true;
                }

                Interlocked.Increment(ref sent);
                if (sendNow)
                {
                    Send(p);
                }
            }
        })
        { IsBackground = true, Name = "pacer" };
        pacer.Start();
        await Task.Run(pacer.Join, CancellationToken.None);
        var measured = (Now - warmEnd) / (double)Stopwatch.Frequency;
        await sideTask;

        // Let the last echoes come back (2 s at most), then stop the receivers.
        var drainUntil = Now + Ticks(TimeSpan.FromSeconds(2));
        while (Interlocked.Read(ref received) < Interlocked.Read(ref sent) && Now < drainUntil && Volatile.Read(ref dropped) < paced.Length)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        await receiving.CancelAsync();
        await Task.WhenAll(receivers);
        foreach (var p in paced)
        {
            p.Connection.Dispose();
        }

        return new LatencyResult(
            corrected.GetValueAtPercentile(50), corrected.GetValueAtPercentile(99), corrected.GetValueAtPercentile(99.9), corrected.GetMaxValue(),
            raw.GetValueAtPercentile(50), raw.GetValueAtPercentile(99),
            corrected.TotalCount / measured, sent, received, dropped, (long)(lateMax * microsPerTick));
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

    /// <summary>New connections as fast as <paramref name="concurrency"/> workers go: handshake, one 64 B echo, close handshake.</summary>
    public static async Task<HandshakeResult> HandshakesAsync(
        Target target, SourceAddresses sources, int concurrency, TimeSpan warmup, TimeSpan measure, long maxAttempts, CancellationToken cancel)
    {
        var frame = Frame(64);
        long ok = 0, failed = 0, attempts = 0, allOk = 0;
        string? firstError = null;
        var warmEnd = Now + Ticks(warmup);
        var stop = warmEnd + Ticks(measure);
        async Task Worker()
        {
            while (Now < stop && Interlocked.Increment(ref attempts) <= maxAttempts && !cancel.IsCancellationRequested)
            {
                var began = Now;
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                try
                {
                    using var c = await WsConnection.ConnectAsync(target, sources.Next(), 1024, attempt.Token);
                    await c.SendAsync(frame, attempt.Token);
                    var (kind, _) = await c.ReceiveAsync(attempt.Token);
                    if (kind != Received.Message)
                    {
                        throw new IOException($"echo answered {kind}");
                    }

                    await c.CloseAsync(CloseFrame, attempt.Token);
                    Interlocked.Increment(ref allOk);
                    if (began >= warmEnd && Now <= stop)
                    {
                        Interlocked.Increment(ref ok);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    if (began >= warmEnd)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)));
        return new HandshakeResult(ok / measure.TotalSeconds, ok, failed, firstError, allOk);
    }

    private sealed class Paced(WsConnection connection, byte[] frame)
    {
        public WsConnection Connection { get; } = connection;

        public byte[] Frame { get; } = frame;

        public Queue<long> Pending { get; } = new();

        public bool InFlight { get; set; }

        public long SentAt { get; set; }
    }
}
