using System.Diagnostics;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The sidecar as the container runs it: command line, exit codes, SIGTERM.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wsproxy-process-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string yaml)
    {
        var file = Path.Combine(_dir.FullName, "config.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    private static string[] Listen(int plain, int admin) =>
        ["--listen", $"127.0.0.1:{plain}", "--listen-tls", "off", "--admin", $"127.0.0.1:{admin}"];

    [Theory]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, unknownField: 1}]", "routes[0].unknownField: unknown field")]
    [InlineData("routes: [{name: a, match: {path: '(', pathType: RegularExpression}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].match.path: not a valid regular expression")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ftp://x'}]}}]", "routes[0].upstream.endpoints[0].url: scheme must be ws or wss")]
    [InlineData("routes: [{name: a, match: {path: /x}, upstream: {endpoints: [{url: 'ws://x'}]}}, {name: b, match: {path: /x}, upstream: {endpoints: [{url: 'ws://y'}]}}]", "routes[1].match: duplicate host and path")]
    public async Task A_bad_config_file_exits_2_naming_the_field_with_nothing_listening(string yaml, string expected)
    {
        var plain = Ports.Free();
        using var sidecar = SidecarProcess.Start(["--config", Write(yaml), .. Listen(plain, Ports.Free())]);
        Assert.Equal(2, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(expected, sidecar.Stderr, StringComparison.Ordinal);
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", plain));
    }

    [Fact]
    public async Task A_bad_command_line_exits_2_with_usage()
    {
        using var sidecar = SidecarProcess.Start("--listen", "nonsense", "--config", Write("routes: []"));
        Assert.Equal(2, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--listen: 'nonsense' is not ADDRESS:PORT", sidecar.Stderr, StringComparison.Ordinal);
        Assert.Contains("usage:", sidecar.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_sends_1001_to_client_and_upstream_then_exits_0()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var config = Write($"routes: [{{name: echo, match: {{path: /}}, upstream: {{endpoints: [{{url: '{upstream.WsUrl()}'}}]}}, timeouts: {{drain: 10s}}}}]");
        using var sidecar = SidecarProcess.Start(["--config", config, .. Listen(0, 0), "--shutdown-timeout", "10s"]);
        await sidecar.WaitReadyAsync();
        var plain = new Uri(sidecar.Ready["plain"]);
        using var ws = await Ws.ConnectAsync(new Uri($"ws://127.0.0.1:{plain.Port}/"));
        await ws.SendTextAsync("before");
        Assert.Equal("before", await ws.ReceiveTextAsync());

        var started = DateTime.UtcNow;
        sidecar.Terminate();
        var (status, reason) = await ws.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Contains("shutting down", reason, StringComparison.Ordinal);
        await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, null, CancellationToken.None);
        await Poll.UntilAsync(() => upstream.Closes.Any(c => c.Status == WebSocketCloseStatus.EndpointUnavailable), "the upstream to get 1001");
        Assert.Equal(0, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        // Both peers answered, so the sidecar did not sit out its 10 s drain.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), $"took {DateTime.UtcNow - started}");
        // The shutdown ran once.
        Assert.Single(sidecar.Stdout.Split('\n'), line => line.Contains("Shutting down: closing 1 WebSocket connections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_a_burst_of_connections_the_sidecar_gives_back_the_memory_their_handshakes_left_and_keeps_every_connection()
    {
        const int Burst = 3_000;
        using var silent = new RawUpstream();
        await using var echo = await TestUpstream.StartAsync();
        var config = Write($"routes: [{{name: burst, match: {{path: /burst}}, upstream: {{endpoints: [{{url: 'ws://127.0.0.1:{silent.Port}/'}}]}}}}, " +
            $"{{name: echo, match: {{path: /}}, upstream: {{endpoints: [{{url: '{echo.WsUrl()}'}}]}}}}]");
        using var sidecar = SidecarProcess.Start(["--config", config, .. Listen(0, 0)]);
        await sidecar.WaitReadyAsync();
        var port = new Uri(sidecar.Ready["plain"]).Port;
        using var ws = await Ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"));
        var before = ResidentBytes(sidecar.Id);
        var trimsBefore = Trims(sidecar);

        var burst = new List<Socket>();
        try
        {
            for (var i = 0; i < Burst; i += 100)
            {
                burst.AddRange(await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => UpgradeAsync(port, "/burst"))));
            }

            var peak = ResidentBytes(sidecar.Id);
            await Poll.UntilAsync(() => Trims(sidecar) > trimsBefore, "the sidecar to trim its memory once the burst is over", TimeSpan.FromSeconds(30));
            var trimmed = ResidentBytes(sidecar.Id);
            Assert.True(trimmed - before < 0.7 * (peak - before),
                $"resident memory {before >> 20} MiB before the burst, {peak >> 20} MiB after it, {trimmed >> 20} MiB after the trim: less than 30% of the growth given back");

            // The pause cost nothing that was open.
            var scrape = await Scrape.FromAsync(new Uri(sidecar.Ready["admin"]));
            Assert.Equal(Burst, scrape.Value("wsproxy_connections_active", ("route", "burst")));
            await ws.SendTextAsync("after the trim");
            Assert.Equal("after the trim", await ws.ReceiveTextAsync());
        }
        finally
        {
            burst.ForEach(s => s.Dispose());
        }
    }

    private static long ResidentBytes(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.WorkingSet64;
    }

    private static int Trims(SidecarProcess sidecar) =>
        sidecar.Stdout.Split('\n').Count(line => line.Contains("Memory trimmed after a burst", StringComparison.Ordinal));

    /// <summary>A WebSocket handshake on a bare socket, which stays open and silent: thousands of these cost the test little.</summary>
    private static async Task<Socket> UpgradeAsync(int port, string path)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(Ws.Timeout);
        await socket.ConnectAsync("127.0.0.1", port, timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), timeout.Token);
        var head = new StringBuilder();
        var buffer = new byte[512];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.True(read > 0, "closed during the handshake");
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        return socket;
    }

    [Fact]
    public async Task Without_listen_tls_no_tls_port_is_bound()
    {
        using var sidecar = SidecarProcess.Start("--config", Write("routes: []"), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0");
        await sidecar.WaitReadyAsync();
        Assert.Equal("off", sidecar.Ready["tls"]);
    }

    [Fact]
    public async Task With_both_listeners_the_sidecar_holds_no_inotify_instance()
    {
        // A node allows 128 per user by default, shared by every pod that runs as that user: one per sidecar would
        // stop the 129th pod's sidecar at start.
        using var sidecar = SidecarProcess.Start("--config", Write("routes: []"), "--listen", "127.0.0.1:0", "--listen-tls", "127.0.0.1:0", "--admin", "127.0.0.1:0");
        await sidecar.WaitReadyAsync();
        Assert.NotEqual("off", sidecar.Ready["tls"]);
        var descriptors = new DirectoryInfo($"/proc/{sidecar.Id}/fd").GetFiles().Select(f => f.LinkTarget ?? "").ToList();
        Assert.NotEmpty(descriptors);
        Assert.DoesNotContain(descriptors, d => d.Contains("inotify", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_sidecar_serves_its_saved_document_and_ignores_a_corrupt_one()
    {
        await using var upstream = await TestUpstream.StartAsync(name: "saved");
        var state = Path.Combine(_dir.FullName, "state");
        var config = Write($"routes: [{{name: kept, match: {{path: /kept}}, upstream: {{endpoints: [{{url: '{upstream.WsUrl()}'}}]}}}}]");
        using (var first = SidecarProcess.Start(["--config", config, "--state-dir", state, .. Listen(0, 0)]))
        {
            await first.WaitReadyAsync();
            // It may hold private keys: the saved document is the sidecar user's alone.
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(state).Single()));
            }

            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }

        // No --config: the saved document serves from the first request.
        using (var second = SidecarProcess.Start(["--state-dir", state, .. Listen(0, 0)]))
        {
            await second.WaitReadyAsync();
            var plain = new Uri(second.Ready["plain"]);
            using var ws = await Ws.ConnectAsync(new Uri($"ws://127.0.0.1:{plain.Port}/kept"));
            await ws.SendTextAsync("__info");
            Assert.Contains("\"saved\"", await ws.ReceiveTextAsync(), StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(Directory.GetFiles(state).Single(), "{\"routes\": [{\"name\": ");
        using var third = SidecarProcess.Start(["--state-dir", state, .. Listen(0, 0)]);
        await third.WaitReadyAsync();
        Assert.Contains("Ignoring the saved document", third.Stdout + third.Stderr, StringComparison.Ordinal);
        using var http = new HttpClient();
        var ready = await http.GetAsync(new Uri(new Uri(third.Ready["admin"]), "/readyz"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}
