using System.Diagnostics;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// The shipped sidecar executable under faults: an upstream that never reads (memory and backpressure), SIGKILL
/// while it writes its state file, a full disk under its state directory.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class ProcessChaosTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wsproxy-chaos-");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        _dir.Delete(recursive: true);
    }

    private static string[] Listen() => ["--listen", "127.0.0.1:0", "--listen-tls", "off", "--admin", "127.0.0.1:0"];

    private static Uri Plain(SidecarProcess sidecar, string path) => new($"ws://127.0.0.1:{new Uri(sidecar.Ready["plain"]).Port}{path}");

    private async Task<JsonElement> ConfigAsync(SidecarProcess sidecar) =>
        JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(sidecar.Ready["admin"]), "/v1/config"))).RootElement;

    private static long ResidentBytes(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.WorkingSet64;
    }

    [Fact]
    public async Task An_upstream_that_never_reads_backpressures_the_client_with_bounded_memory_per_connection_and_others_keep_their_latency()
    {
        const int Connections = 16;
        const int Message = 64 * 1024;
        // Far more than the socket buffers of one connection can hold (4 MiB send buffers, receive buffers that only
        // grow while their reader keeps up): a client that gets this far was not held back.
        const long Limit = 64L << 20;
        using var silent = new RawUpstream();
        await using var echo = await TestUpstream.StartAsync();
        var config = Path.Combine(_dir.FullName, "config.yaml");
        await File.WriteAllTextAsync(config, $"routes: [{{name: stalled, match: {{path: /stalled}}, upstream: {{endpoints: [{{url: 'ws://127.0.0.1:{silent.Port}/'}}]}}}}, " +
            $"{{name: echo, match: {{path: /echo}}, upstream: {{endpoints: [{{url: '{echo.WsUrl()}'}}]}}}}]");
        using var sidecar = SidecarProcess.Start(["--config", config, .. Listen()]);
        await sidecar.WaitReadyAsync();
        using var probe = await Ws.ConnectAsync(Plain(sidecar, "/echo"));
        await RoundTripsAsync(probe, 200);
        var quiet = Percentile99(await RoundTripsAsync(probe, 300));

        var clients = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                clients.Add(await Ws.ConnectAsync(Plain(sidecar, "/stalled")));
            }

            var before = ResidentBytes(sidecar.Id);
            var payload = new byte[Message];
            Random.Shared.NextBytes(payload);
            var pushed = new long[Connections];
            var pending = new Task[Connections];
            var pushing = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(i => Task.Run(async () =>
            {
                // Sends one message after another until one has not completed within a second: held back.
                while (pushed[i] < Limit)
                {
                    var send = clients[i].SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None);
                    if (await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(1))) != send)
                    {
                        pending[i] = send;
                        return;
                    }

                    await send;
                    pushed[i] += Message;
                }
            })));
            pushing.Stop();
            var after = ResidentBytes(sidecar.Id);
            var perConnection = (after - before) / Connections;
            var summary = $"{Connections} connections took {pushed.Sum() >> 20} MiB in {pushing.ElapsedMilliseconds} ms " +
                $"(each {pushed.Min() >> 10}..{pushed.Max() >> 10} KiB) before their sends stopped completing; sidecar resident memory " +
                $"{before >> 20} -> {after >> 20} MiB, {perConnection >> 10} KiB per connection";
            Console.WriteLine(summary);
            Assert.All(pushed, p => Assert.True(p < Limit, $"a client pushed {Limit >> 20} MiB into a stalled upstream without being held back; {summary}"));
            Assert.All(pending, p => Assert.False(p is null || p.IsCompleted, summary));

            // The bytes that sit in the proxy's own memory: its relay buffers, not the messages. The kernel's socket
            // buffers do not count towards resident memory; a proxy that queued what the client sent would show
            // megabytes per connection here (every connection took megabytes).
            Assert.True(perConnection < 512 * 1024, summary);

            var busy = Percentile99(await RoundTripsAsync(probe, 300));
            Assert.True(busy < TimeSpan.FromMilliseconds(50) + (5 * quiet), $"p99 round trip {busy.TotalMilliseconds:0.0} ms beside the stalled connections, {quiet.TotalMilliseconds:0.0} ms before; {summary}");
        }
        finally
        {
            clients.ForEach(c =>
            {
                c.Abort();
                c.Dispose();
            });
        }
    }

    private static async Task<List<TimeSpan>> RoundTripsAsync(ClientWebSocket ws, int count)
    {
        var times = new List<TimeSpan>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await ws.SendTextAsync("ping");
            Assert.Equal("ping", await ws.ReceiveTextAsync());
            times.Add(Stopwatch.GetElapsedTime(started));
        }

        return times;
    }

    private static TimeSpan Percentile99(List<TimeSpan> times) => times.Order().ElementAt((int)(times.Count * 0.99));

    /// <summary>A document of many routes, one of which is named for <paramref name="generation"/>: large enough that writing it takes a while.</summary>
    private static string Document(int generation, string upstream)
    {
        var yaml = new StringBuilder($"routes:\n  - {{name: gen-{generation}, match: {{path: /gen}}, upstream: {{endpoints: [{{url: '{upstream}'}}]}}}}\n");
        for (var i = 0; i < 2000; i++)
        {
            yaml.Append($"  - {{name: r{i}, match: {{path: /rooms/{i}, hosts: [chat-{i}.example.com]}}, upstream: {{endpoints: [{{url: '{upstream}'}}, {{url: 'ws://127.0.0.2:{1000 + i}/rooms/{generation}'}}]}}, headers: {{set: {{x-route: r{i}-{generation}}}}}}}\n");
        }

        return yaml.ToString();
    }

    [Fact]
    public async Task A_sidecar_killed_while_it_writes_its_state_file_restarts_on_a_whole_last_good_document()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var state = Path.Combine(_dir.FullName, "state");
        var file = Path.Combine(state, "last-good-document.json");
        var config = Path.Combine(_dir.FullName, "config.yaml");
        await File.WriteAllTextAsync(config, Document(0, upstream.WsUrl()));
        var startup = Stopwatch.StartNew();
        using (var first = SidecarProcess.Start(["--config", config, "--state-dir", state, .. Listen()]))
        {
            await first.WaitReadyAsync();
            startup.Stop();
            first.Kill();
        }

        var lastGood = 0;
        var killedMidWrite = 0;
        var iterations = 0;
        var budget = Stopwatch.StartNew();
        for (var generation = 1; generation <= 10 && (generation <= 4 || budget.Elapsed < TimeSpan.FromSeconds(15)); generation++)
        {
            iterations++;
            await File.WriteAllTextAsync(config, Document(generation, upstream.WsUrl()));
            using (var victim = SidecarProcess.Start(["--config", config, "--state-dir", state, .. Listen()]))
            {
                if (generation % 2 == 0)
                {
                    // Anywhere in the start, which ends in the write.
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * startup.Elapsed.TotalMilliseconds * 1.2));
                }
                else
                {
                    // The moment the temporary file shows up: inside the write.
                    var seen = Stopwatch.StartNew();
                    while (!File.Exists(file + ".tmp") && !victim.HasExited && seen.Elapsed < TimeSpan.FromSeconds(15))
                    {
                        Thread.SpinWait(1000);
                    }
                }

                victim.Kill();
            }

            if (File.Exists(file + ".tmp"))
            {
                killedMidWrite++;
            }

            using var restarted = SidecarProcess.Start(["--state-dir", state, .. Listen()]);
            await restarted.WaitReadyAsync();
            var routes = (await ConfigAsync(restarted)).GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("route").GetString()!).ToList();
            var served = routes.Where(r => r.StartsWith("default/gen-", StringComparison.Ordinal)).Select(r => int.Parse(r["default/gen-".Length..], System.Globalization.CultureInfo.InvariantCulture)).Single();
            Assert.True(served == lastGood || served == generation, $"generation {generation}: the restarted sidecar serves generation {served}, the last good was {lastGood}");
            Assert.Equal(2001, routes.Count);
            Assert.DoesNotContain("Ignoring the saved document", restarted.Stdout + restarted.Stderr, StringComparison.Ordinal);
            using (var ws = await Ws.ConnectAsync(Plain(restarted, "/gen")))
            {
                await ws.SendTextAsync("whole");
                Assert.Equal("whole", await ws.ReceiveTextAsync());
            }

            lastGood = served;
            restarted.Kill();
        }

        Console.WriteLine($"{iterations} kills ({startup.ElapsedMilliseconds} ms to ready), {killedMidWrite} left a temporary file behind; every restart served a whole document");
        Assert.True(killedMidWrite > 0, "no kill landed inside a write: the test did not test what it says");
    }

    /// <summary>
    /// A 64 KiB tmpfs over <paramref name="directory"/>, when this process may mount (root); null otherwise. The
    /// returned action unmounts it.
    /// </summary>
    private static async Task<Func<Task>?> MountTinyDiskAsync(string directory)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return null;
        }

        using var mount = ChildProcess.Start("mount", ["-t", "tmpfs", "-o", "size=64k,mode=700", "tmpfs", directory]);
        if (await mount.WaitForExitAsync(TimeSpan.FromSeconds(10)) != 0)
        {
            return null;
        }

        return async () =>
        {
            using var umount = ChildProcess.Start("umount", [directory]);
            await umount.WaitForExitAsync(TimeSpan.FromSeconds(10));
        };
    }

    [Fact]
    public async Task With_its_state_directory_full_the_sidecar_logs_why_and_keeps_serving_and_applying()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var state = Directory.CreateDirectory(Path.Combine(_dir.FullName, "state")).FullName;
        var file = Path.Combine(state, "last-good-document.json");
        var config = Path.Combine(_dir.FullName, "config.yaml");
        string Routes(params string[] names) => "routes:\n" + string.Concat(names.Select(n => $"  - {{name: {n}, match: {{path: /{n}}}, upstream: {{endpoints: [{{url: '{upstream.WsUrl()}'}}]}}}}\n"));
        await File.WriteAllTextAsync(config, Routes("a"));
        var unmount = await MountTinyDiskAsync(state);
        try
        {
            using var sidecar = SidecarProcess.Start(["--config", config, "--state-dir", state, .. Listen()]);
            await sidecar.WaitReadyAsync();
            var saved = await File.ReadAllTextAsync(file);

            // The disk fills up (a filler file until ENOSPC); without root to mount a small disk, a directory where
            // the temporary file goes makes the write fail instead.
            string expected;
            var filler = Path.Combine(state, "filler");
            if (unmount is not null)
            {
                using var fill = new FileStream(filler, FileMode.CreateNew);
                var page = new byte[4096];
                for (var i = 0; i < 1024; i++)
                {
                    try
                    {
                        fill.Write(page);
                        fill.Flush(flushToDisk: false);
                    }
                    catch (IOException)
                    {
                        break;
                    }
                }

                expected = "No space left on device";
            }
            else
            {
                Directory.CreateDirectory(Path.Combine(file + ".tmp", "blocker"));
                expected = "";
            }

            await File.WriteAllTextAsync(config, Routes("a", "b"));
            await Poll.UntilAsync(() => (sidecar.Stdout + sidecar.Stderr).Contains("Could not save the last good document", StringComparison.Ordinal), "the failed save to be logged", TimeSpan.FromSeconds(15));
            var line = (sidecar.Stdout + sidecar.Stderr).Split('\n').First(l => l.Contains("Could not save the last good document", StringComparison.Ordinal));
            Assert.Contains(file, line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Console.WriteLine($"{(unmount is null ? "a directory in the temporary file's place" : "a full 64 KiB tmpfs")}: {line.Trim()}");

            // The new document is active all the same; the saved one is the previous document, whole.
            using (var ws = await Ws.ConnectAsync(Plain(sidecar, "/b")))
            {
                await ws.SendTextAsync("served");
                Assert.Equal("served", await ws.ReceiveTextAsync());
            }

            Assert.Equal(saved, await File.ReadAllTextAsync(file));
            if (unmount is not null)
            {
                // What the failed write took is given back: the disk is as full as the filler made it, no fuller.
                Assert.False(File.Exists(file + ".tmp"), "the failed write left its temporary file on the full disk");
            }

            // Space again: the next document is saved.
            File.Delete(filler);
            if (Directory.Exists(file + ".tmp"))
            {
                Directory.Delete(file + ".tmp", recursive: true);
            }

            await File.WriteAllTextAsync(config, Routes("a", "b", "c"));
            await Poll.UntilAsync(() => File.ReadAllText(file).Contains("\"c\"", StringComparison.Ordinal), "the next document to be saved", TimeSpan.FromSeconds(15));
            using (var ws = await Ws.ConnectAsync(Plain(sidecar, "/c")))
            {
                await ws.SendTextAsync("saved");
                Assert.Equal("saved", await ws.ReceiveTextAsync());
            }

            Assert.False(File.Exists(file + ".tmp"), "a temporary file was left behind");
            sidecar.Kill();
        }
        finally
        {
            if (unmount is not null)
            {
                await unmount();
            }
        }
    }
}
