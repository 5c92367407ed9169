using System.Buffers.Binary;
using System.Diagnostics;
using HdrHistogram;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Soak;

/// <summary>Totals of one route's connections.</summary>
internal sealed record RouteTotals(string Route, int Planned, int Opened, int Active, int Closes, int Reconnects, long Sent, long Received, long Lost, long Duplicated, long Unexpected);

/// <summary>
/// The soak's client: holds every <see cref="HeldConnection"/>, one receive loop each, and one pacer task that sends
/// numbered 64 B messages (sequence number and send time in the first 16 bytes, echoed back by the upstream) at a fixed
/// rate per route, round robin over the route's active connections. A connection that ends is counted and reopened
/// (after 200 ms, then up to 2 s apart) until the run stops. Round trips of the routes that must not be disturbed go
/// into a histogram per sampling interval.
/// </summary>
internal sealed class SoakLoad(IReadOnlyList<HeldConnection> connections, IReadOnlyDictionary<string, double> ratePerRoute, IReadOnlySet<string> measuredRoutes)
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;
    private static readonly byte[] CloseFrame = WsFrame.EncodeClose(1000, 0x1234_5678);

    private readonly SourceAddresses sources = new(32);
    private readonly LongHistogram interval = new(1, 60_000_000, 3);
    private readonly LongHistogram whole = new(1, 60_000_000, 3);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> loops = [];
    private Task pacer = Task.CompletedTask;
    private long echoes;

    public IReadOnlyList<HeldConnection> Connections => connections;

    /// <summary>Opens every connection, 50 at a time; returns how many failed (they stay closed and are reported).</summary>
    public async Task<(int Failed, string? FirstError)> OpenAsync(TimeSpan timeout, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        var failed = 0;
        string? firstError = null;
        await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = 50, CancellationToken = CancellationToken.None }, async (c, _) =>
        {
            try
            {
                c.Socket = await WsConnection.ConnectAsync(c.Target, sources.Next(), 1024, deadline.Token);
                c.Opened = true;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, $"{c.Route}: {e.Message}", null);
            }
        });
        return (failed, firstError);
    }

    /// <summary>Starts the receive loops (of the connections that opened) and the pacer.</summary>
    public void Start()
    {
        foreach (var c in connections.Where(c => c.Socket is not null))
        {
            loops.Add(Task.Run(() => ReceiveLoopAsync(c), CancellationToken.None));
        }

        pacer = Task.Run(PaceAsync, CancellationToken.None);
    }

    /// <summary>The p99 round trip (µs) of the measured routes since the last call (NaN when none), and the echoes received.</summary>
    public (double P99, long Echoes) TakeInterval()
    {
        lock (interval)
        {
            var p99 = interval.TotalCount == 0 ? double.NaN : interval.GetValueAtPercentile(99);
            interval.Reset();
            return (p99, Interlocked.Exchange(ref echoes, 0));
        }
    }

    /// <summary>p50, p99, p99.9 and max of the measured routes over the whole run, µs.</summary>
    public (double P50, double P99, double P999, double Max) WholeRun()
    {
        lock (interval)
        {
            return whole.TotalCount == 0
                ? (double.NaN, double.NaN, double.NaN, double.NaN)
                : (whole.GetValueAtPercentile(50), whole.GetValueAtPercentile(99), whole.GetValueAtPercentile(99.9), whole.GetMaxValue());
        }
    }

    /// <summary>Connections open now, per route.</summary>
    public Dictionary<string, int> Connected()
    {
        var open = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in connections)
        {
            open[c.Route] = open.GetValueOrDefault(c.Route) + (c.Socket is null ? 0 : 1);
        }

        return open;
    }

    /// <summary>
    /// Stops sending, waits up to <paramref name="grace"/> for the echoes still due, counts what is still outstanding as
    /// lost, closes every connection (close handshakes) and ends the loops.
    /// </summary>
    public async Task<IReadOnlyList<RouteTotals>> StopAsync(TimeSpan grace)
    {
        await stopping.CancelAsync();
        await pacer;
        var until = Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until && connections.Any(c => { lock (c) { return c.Socket is not null && c.Checker.Outstanding > 0; } }))
        {
            await Task.Delay(50, CancellationToken.None);
        }

        var open = new List<WsConnection>();
        foreach (var c in connections)
        {
            lock (c)
            {
                c.Checker.GiveUpOutstanding();
                if (c.Socket is { } s)
                {
                    open.Add(s);
                }
            }
        }

        // Our close frames; each receive loop reads the answer and ends (the loops are the only readers of their sockets).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (s, _) =>
        {
            try
            {
                await s.SendAsync(CloseFrame, deadline.Token);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Disposed below anyway.
            }
        });
        await Task.WhenAny(Task.WhenAll(loops), Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
        foreach (var s in open)
        {
            s.Dispose();
        }

        await Task.WhenAll(loops);
        return [.. connections.GroupBy(c => c.Route).Select(g => new RouteTotals(g.Key, g.Count(), g.Count(c => c.Opened), g.Count(c => c.Active),
            g.Sum(c => c.Closes), g.Sum(c => c.Reconnects), g.Sum(c => c.Checker.Sent), g.Sum(c => c.Checker.Received), g.Sum(c => c.Checker.Lost),
            g.Sum(c => c.Checker.Duplicated), g.Sum(c => c.Checker.Unexpected)))];
    }

    private async Task PaceAsync()
    {
        var groups = connections.Where(c => c.Active && c.Socket is not null).GroupBy(c => c.Route)
            .Select(g => new PaceGroup(ratePerRoute.GetValueOrDefault(g.Key), [.. g])).ToArray();
        var start = Stopwatch.GetTimestamp();
        var mask = new byte[4];
        var payload = new byte[64];
        while (!stopping.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            foreach (var group in groups)
            {
                var due = (long)(elapsed * group.Rate);
                // Messages due while a connection was away are not made up for: the rate is what is offered, not a backlog.
                for (var tries = 0; group.Sent < due && tries < group.Members.Length; tries++)
                {
                    var c = group.Members[group.Next];
                    group.Next = (group.Next + 1) % group.Members.Length;
                    WsConnection? socket;
                    lock (c)
                    {
                        socket = c.Socket;
                        if (socket is null)
                        {
                            continue;
                        }

                        BinaryPrimitives.WriteInt64LittleEndian(payload, c.Checker.NextToSend());
                        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), Stopwatch.GetTimestamp());
                    }

                    group.Sent++;
                    tries = -1;
                    Random.Shared.NextBytes(mask);
                    try
                    {
                        await socket.SendAsync(WsFrame.EncodeClient(Opcode.Binary, payload, BinaryPrimitives.ReadUInt32LittleEndian(mask)), stopping.Token);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The receive loop sees the connection end and gives up what it still owed.
                    }
                }

                group.Sent = Math.Max(group.Sent, due);
            }

            try
            {
                await Task.Delay(10, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ReceiveLoopAsync(HeldConnection c)
    {
        var measured = measuredRoutes.Contains(c.Route);
        while (true)
        {
            var socket = c.Socket;
            if (socket is null)
            {
                if (!await ReconnectAsync(c))
                {
                    return;
                }

                continue;
            }

            Received kind;
            try
            {
                (kind, _) = await socket.ReceiveAsync(c.Head, CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
            {
                kind = Received.Eof;
            }

            if (kind == Received.Message)
            {
                var now = Stopwatch.GetTimestamp();
                var sequence = BinaryPrimitives.ReadInt64LittleEndian(c.Head);
                var sentAt = BinaryPrimitives.ReadInt64LittleEndian(c.Head.AsSpan(8));
                lock (c)
                {
                    c.Checker.Accept(sequence);
                }

                Interlocked.Increment(ref echoes);
                if (measured)
                {
                    var micros = Math.Clamp((long)((now - sentAt) * MicrosPerTick), 1, 60_000_000);
                    lock (interval)
                    {
                        interval.RecordValue(micros);
                        whole.RecordValue(micros);
                    }
                }

                continue;
            }

            if (stopping.IsCancellationRequested)
            {
                // Our own close at the end of the run.
                return;
            }

            lock (c)
            {
                c.Socket = null;
                c.Closes++;
                c.Checker.GiveUpOutstanding();
            }

            socket.Dispose();
        }
    }

    /// <summary>Until the connection is open again (true) or the run stops (false).</summary>
    private async Task<bool> ReconnectAsync(HeldConnection c)
    {
        var wait = TimeSpan.FromMilliseconds(200);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, stopping.Token);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                var socket = await WsConnection.ConnectAsync(c.Target, sources.Next(), 1024, attempt.Token);
                lock (c)
                {
                    c.Socket = socket;
                    c.Reconnects++;
                }

                return true;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                wait = TimeSpan.FromMilliseconds(Math.Min(2000, wait.TotalMilliseconds * 2));
            }
        }

        return false;
    }

    /// <summary>A route's active connections, the next one to send and how many messages went out so far.</summary>
    private sealed class PaceGroup(double rate, HeldConnection[] members)
    {
        public double Rate { get; } = rate;

        public HeldConnection[] Members { get; } = members;

        public int Next { get; set; }

        public long Sent { get; set; }
    }
}
