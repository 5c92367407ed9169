using System.Diagnostics;
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

    /// <param name="text">A text message of ASCII letters (valid UTF-8) instead of random binary: message rules see text only.</param>
    public static byte[] Frame(int payloadBytes, bool text = false)
    {
        var payload = new byte[payloadBytes];
        if (text)
        {
            Random.Shared.GetItems("abcdefghijklmnopqrstuvwxyz"u8, payload);
        }
        else
        {
            Random.Shared.NextBytes(payload);
        }

        return WsFrame.EncodeClient(text ? Opcode.Text : Opcode.Binary, payload, (uint)Random.Shared.Next());
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

    /// <summary>Closed loop: every connection sends a message (binary, or <paramref name="text"/>) and waits for its echo, again and again.</summary>
    public static async Task<ThroughputResult> ThroughputAsync(
        Target target, SourceAddresses sources, int connections, int payloadBytes, TimeSpan warmup, TimeSpan measure, bool text, CancellationToken cancel)
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
            var frame = Frame(payloadBytes, text);
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
    /// Fixed rate over <paramref name="connections"/> (see <see cref="FixedRateRun"/>). <paramref name="during"/> runs
    /// alongside the measured part (reload scenario).
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

        return await new FixedRateRun(open, payloadBytes, ratePerSecond, warmup, measure, cancel).RunAsync(during, cancel);
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
}
