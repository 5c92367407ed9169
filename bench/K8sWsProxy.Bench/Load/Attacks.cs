using System.Net;
using System.Net.Sockets;
using System.Text;
using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Tunnel;
using static K8sWsProxy.Bench.Load.Scenarios;

namespace K8sWsProxy.Bench.Load;

/// <summary>
/// What became of a hostile client (or a group of them). <see cref="Cut"/>: attackers the proxy ended (a close frame,
/// an HTTP answer, or the end of the connection) within the attack's bound. <see cref="Code"/>: the commonest close
/// code or HTTP status they got (null: none got one). Times in milliseconds from each attacker's start (median, max
/// over those cut). <see cref="Accepted"/>: half-open connections the proxy took (its open descriptors grew by that
/// much); <see cref="Sent"/>: frames or bytes the attackers sent.
/// </summary>
internal sealed record AttackOutcome(int Attackers, int Cut, int Answered, int? Code, double CutMsMedian, double CutMsMax, long Sent, int? Accepted = null)
{
    public Dictionary<string, double> ToValues()
    {
        var values = new Dictionary<string, double>
        {
            ["attackers"] = Attackers,
            ["cut"] = Cut,
            ["answered"] = Answered,
            ["code"] = Code ?? double.NaN,
            ["cutms"] = CutMsMedian,
            ["cutmsmax"] = CutMsMax,
            ["sent"] = Sent,
        };
        if (Accepted is { } accepted)
        {
            values["accepted"] = accepted;
        }

        return values;
    }

    /// <summary>The outcome of attackers that each ended after <c>Ms</c> (NaN: not cut) with <c>Code</c> (null: no answer).</summary>
    public static AttackOutcome Of(IReadOnlyCollection<(double Ms, int? Code)> ends, long sent, int? accepted = null)
    {
        var cut = ends.Where(e => !double.IsNaN(e.Ms)).Select(e => e.Ms).Order().ToList();
        var codes = ends.Where(e => e.Code is not null).GroupBy(e => e.Code!.Value).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).ToList();
        return new AttackOutcome(
            ends.Count, cut.Count, codes.Sum(g => g.Count()), codes.Count == 0 ? null : codes[0].Key,
            cut.Count == 0 ? double.NaN : Summary.MedianOf(cut), cut.Count == 0 ? double.NaN : cut[^1], sent, accepted);
    }
}

/// <summary>
/// Hostile clients for the hostile scenario. Each is bounded by a deadline and a count; every socket it opens is
/// closed before it returns.
/// </summary>
internal static class Attacks
{
    /// <summary>Frames per write of a flood: a few kilobytes of 6- or 7-byte frames.</summary>
    public const int FloodBatch = 512;

    /// <summary><paramref name="count"/> copies of a frame, back to back: one write of a flood.</summary>
    public static byte[] Repeat(byte[] frame, int count)
    {
        var batch = new byte[frame.Length * count];
        for (var i = 0; i < count; i++)
        {
            frame.CopyTo(batch, i * frame.Length);
        }

        return batch;
    }

    /// <summary>Empty pings, as fast as one connection can send them.</summary>
    public static Task<AttackOutcome> PingFloodAsync(Target target, SourceAddresses sources, TimeSpan duration, long maxFrames, CancellationToken cancel) =>
        FloodAsync(target, sources, null, Repeat(WsFrame.EncodeClient(Opcode.Ping, [], 0x0102_0304), FloodBatch), duration, maxFrames, cancel);

    /// <summary>One endless binary message in 1-byte fragments: a first frame without FIN, then continuations without FIN.</summary>
    public static Task<AttackOutcome> FragmentFloodAsync(Target target, SourceAddresses sources, TimeSpan duration, long maxFrames, CancellationToken cancel) =>
        FloodAsync(target, sources, WsFrame.EncodeClient(Opcode.Binary, [0x42], 0x0506_0708, fin: false),
            Repeat(WsFrame.EncodeClient(Opcode.Continuation, [0x42], 0x090A_0B0C, fin: false), FloodBatch), duration, maxFrames, cancel);

    /// <summary>One upgraded connection writing <paramref name="batch"/> again and again until the proxy ends it, the time is up or the count is reached.</summary>
    private static async Task<AttackOutcome> FloodAsync(
        Target target, SourceAddresses sources, byte[]? first, byte[] batch, TimeSpan duration, long maxFrames, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(duration);
        using var c = await WsConnection.ConnectAsync(target, sources.Next(), 64 * 1024, deadline.Token);
        var began = Now;
        var endedAt = double.NaN;
        var receiver = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var (kind, _) = await c.ReceiveAsync(deadline.Token);
                    if (kind is Received.Close or Received.Eof)
                    {
                        endedAt = Ms(began);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                endedAt = Ms(began);
            }
            catch (OperationCanceledException)
            {
                // Not cut in time.
            }
        }, CancellationToken.None);
        long frames = 0;
        try
        {
            if (first is not null)
            {
                await c.SendAsync(first, deadline.Token);
                frames++;
            }

            for (var writes = 1; !receiver.IsCompleted && frames < maxFrames; writes++)
            {
                await c.SendAsync(batch, deadline.Token);
                frames += FloodBatch;
                if (writes % 16 == 0)
                {
                    // Writes to loopback complete synchronously: without a yield the loop would keep one of the
                    // harness's pool threads (it runs on one CPU) from the well-behaved connections' receives.
                    await Task.Yield();
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // Cut (the receiver saw how), or the time is up.
        }

        // The proxy's close may still be on its way after a failed write: wait for it, within the bound.
        await Task.WhenAny(receiver, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        await deadline.CancelAsync();
        await receiver;
        return AttackOutcome.Of([(endedAt, double.IsNaN(endedAt) ? null : c.CloseCode)], frames);
    }

    /// <summary>
    /// <paramref name="count"/> connections sending a WebSocket upgrade head one byte a second; each watched for the
    /// proxy's answer or end for up to <paramref name="bound"/> after it connected.
    /// </summary>
    public static async Task<AttackOutcome> SlowlorisAsync(Target target, SourceAddresses sources, int count, TimeSpan bound, CancellationToken cancel)
    {
        var head = WsFrame.HandshakeRequest(target.Host, target.Path, "dGhlIHNhbXBsZSBub25jZQ==");
        var (open, _) = await ConnectManyAsync(target, sources, count, bound, cancel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(bound);
        var watchers = open.Select(o => Task.Run(() => WatchAsync(o.Socket, o.At, deadline.Token), CancellationToken.None)).ToArray();
        long sent = 0;
        try
        {
            for (var i = 0; i < head.Length && !deadline.IsCancellationRequested && !watchers.All(w => w.IsCompleted); i++)
            {
                for (var k = 0; k < open.Count; k++)
                {
                    if (!watchers[k].IsCompleted && TrySend(open[k].Socket, head.AsSpan(i, 1)))
                    {
                        sent++;
                    }
                }

                await Task.Delay(1000, deadline.Token);
            }

            await Task.WhenAll(watchers).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // The bound: who is not cut by now is reported as such.
        }

        return Finish(open, await Task.WhenAll(watchers), count, sent, null);
    }

    /// <summary>
    /// <paramref name="count"/> TCP connections that never send a byte, watched as above. <paramref name="descriptors"/>
    /// reads the proxy's open descriptors: their growth once all are open is what it accepted.
    /// </summary>
    public static async Task<AttackOutcome> HalfOpenAsync(
        Target target, SourceAddresses sources, int count, TimeSpan bound, Func<int> descriptors, CancellationToken cancel)
    {
        var before = descriptors();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(bound);
        var watchers = new List<Task<(double, int?)>>(count);
        var (open, _) = await ConnectManyAsync(target, sources, count, bound, cancel, o =>
        {
            lock (watchers)
            {
                watchers.Add(Task.Run(() => WatchAsync(o.Socket, o.At, deadline.Token), CancellationToken.None));
            }
        });
        await Task.Delay(500, CancellationToken.None); // bounded; the watchers below end with the deadline (or the cancel) and every socket is closed
        var accepted = Math.Clamp(descriptors() - before, 0, open.Count);
        return Finish(open, await Task.WhenAll(watchers), count, 0, accepted);
    }

    /// <summary>
    /// <paramref name="count"/> upgrade requests, one after another, each with a header of <paramref name="headerBytes"/>;
    /// the answer is timed from the first byte written (the head is written while the answer is read).
    /// </summary>
    public static async Task<AttackOutcome> OversizedHeadersAsync(Target target, SourceAddresses sources, int count, int headerBytes, TimeSpan each, CancellationToken cancel)
    {
        var head = OversizedHead(target, headerBytes);
        var ends = new List<(double, int?)>();
        for (var i = 0; i < count && !cancel.IsCancellationRequested; i++)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            attempt.CancelAfter(each);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                Bind(socket, sources.Next());
                await socket.ConnectAsync(target.EndPoint, attempt.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                continue;
            }

            var began = Now;
            var writer = Task.Run(async () =>
            {
                try
                {
                    await socket.SendAsync(head, SocketFlags.None, attempt.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The proxy stopped reading: its answer is what counts.
                }
            }, CancellationToken.None);
            ends.Add(await WatchAsync(socket, began, attempt.Token));
            socket.Close(0);
            await writer;
        }

        return AttackOutcome.Of(ends, (long)ends.Count * head.Length);
    }

    /// <summary>An upgrade request whose X-Padding header is <paramref name="headerBytes"/> long.</summary>
    public static byte[] OversizedHead(Target target, int headerBytes)
    {
        var request = Encoding.ASCII.GetString(WsFrame.HandshakeRequest(target.Host, target.Path, "dGhlIHNhbXBsZSBub25jZQ=="));
        var padding = "X-Padding: " + new string('a', Math.Max(0, headerBytes - 13)) + "\r\n";
        return Encoding.ASCII.GetBytes(request[..^2] + padding + "\r\n");
    }

    /// <summary>
    /// Reads until the proxy ends the connection (or the token): milliseconds from <paramref name="began"/> to the end
    /// (NaN: not ended), and the HTTP status it answered first, if any. A reset counts as an end without an answer
    /// unless the status had arrived.
    /// </summary>
    private static async Task<(double Ms, int? Code)> WatchAsync(Socket socket, long began, CancellationToken cancel)
    {
        var buffer = new byte[64];
        var filled = 0;
        int? status = null;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(filled < buffer.Length ? buffer.AsMemory(filled) : buffer.AsMemory(), SocketFlags.None, cancel);
                if (n == 0)
                {
                    return (Ms(began), status);
                }

                if (filled < buffer.Length)
                {
                    filled += n;
                    status ??= WsFrame.StatusOf(buffer.AsSpan(0, filled));
                }

                if (status is not null)
                {
                    // Answered: the proxy's verdict. Its close follows; the answer is what is timed.
                    return (Ms(began), status);
                }
            }
        }
        catch (SocketException)
        {
            return (Ms(began), status);
        }
        catch (OperationCanceledException)
        {
            return (double.NaN, status);
        }
    }

    private static AttackOutcome Finish(List<(Socket Socket, long At)> open, (double Ms, int? Code)[] ends, int count, long sent, int? accepted)
    {
        foreach (var (socket, _) in open)
        {
            socket.Close(0);
        }

        // Connections that could not even be opened are not the proxy's cut: they count as attackers not measured.
        return AttackOutcome.Of(ends, sent, accepted) with { Attackers = count };
    }

    /// <summary>Plain TCP connections, 100 at a time, within <paramref name="bound"/>; each with the time it connected.</summary>
    private static async Task<(List<(Socket Socket, long At)> Open, int Failed)> ConnectManyAsync(
        Target target, SourceAddresses sources, int count, TimeSpan bound, CancellationToken cancel, Action<(Socket Socket, long At)>? opened = null)
    {
        var open = new List<(Socket, long)>(count);
        var failed = 0;
        var next = -1;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(bound);
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) < count && !deadline.IsCancellationRequested)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    Bind(socket, sources.Next());
                    await socket.ConnectAsync(target.EndPoint, deadline.Token);
                    var o = (socket, Now);
                    lock (open)
                    {
                        open.Add(o);
                    }

                    opened?.Invoke(o);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    Interlocked.Increment(ref failed);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(100, count)).Select(_ => Task.Run(Worker, CancellationToken.None)));
        return (open, failed);
    }

    private static void Bind(Socket socket, IPAddress local)
    {
        socket.SetRawSocketOption(0, 24, BitConverter.GetBytes(1)); // IP_BIND_ADDRESS_NO_PORT, as WsConnection
        socket.Bind(new IPEndPoint(local, 0));
    }

    private static bool TrySend(Socket socket, ReadOnlySpan<byte> bytes)
    {
        try
        {
            return socket.Send(bytes, SocketFlags.None) > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static double Ms(long began) => (Now - began) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
