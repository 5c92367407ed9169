using System.Diagnostics;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// Upstreams that misbehave below the WebSocket protocol: one whose connects never complete, one that answers the
/// handshake and then neither sends nor reads. Each ends as its route's timeouts say, with a clear answer, and
/// leaves the other routes alone. (An upstream that accepts TCP and never answers the handshake is
/// HandshakeErrorTests.Hung_upstream_is_504_after_the_handshake_timeout.)
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class UpstreamChaosTests : IAsyncLifetime
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(500);

    // Listens with a backlog of 0 and never accepts; once its accept queue holds a connection, the kernel drops
    // every further SYN, so a connect to it hangs (loopback has no address that drops SYNs).
    private readonly Socket _full = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];
    private readonly RawUpstream _stalled = new();
    private TestUpstream _echo = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _full.Bind(Ports.Any);
        _full.Listen(0);
        var fullPort = ((IPEndPoint)_full.LocalEndPoint!).Port;
        await FillAcceptQueueAsync(fullPort);
        _echo = await TestUpstream.StartAsync();
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: unreachable, match: {path: /unreachable}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{fullPort}}}/"}], retry: {attempts: 1}}, timeouts: {connect: {{{ConnectTimeout.TotalMilliseconds}}}ms, handshake: 10s}}
              - {name: echo, match: {path: /echo}, upstream: {endpoints: [{url: "{{{_echo.WsUrl()}}}"}]}}
              - {name: stalled-keepalive, match: {path: /stalled-keepalive}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{_stalled.Port}}}/"}]}, websocket: {keepAliveInterval: {{{KeepAlive.TotalMilliseconds}}}ms}, timeouts: {idle: "0"}}
              - {name: stalled-idle, match: {path: /stalled-idle}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{_stalled.Port}}}/"}]}, timeouts: {idle: {{{Idle.TotalMilliseconds}}}ms}}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _echo.DisposeAsync();
        _stalled.Dispose();
        _fillers.ForEach(s => s.Dispose());
        _full.Dispose();
    }

    /// <summary>Connects until a connect does not complete within 300 ms: from then on the port's accept queue is full.</summary>
    private async Task FillAcceptQueueAsync(int port)
    {
        for (var i = 0; i < 8; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                _fillers.Add(socket);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return;
            }
        }

        Assert.Fail("8 connections to a listener with backlog 0 completed: cannot make a connect hang on this machine");
    }

    [Fact]
    public async Task An_upstream_that_accepts_nothing_is_502_after_the_connect_timeout_and_other_routes_keep_serving()
    {
        var started = Stopwatch.StartNew();
        var hanging = Enumerable.Range(0, 5).Select(_ => RawHandshake.SendAsync(_sidecar.Ws("/unreachable"))).ToList();

        // While five handshakes wait on connects that never complete, the echo route answers at once.
        using (var ws = await Ws.ConnectAsync(_sidecar.Ws("/echo")))
        {
            var echoStarted = Stopwatch.StartNew();
            await ws.SendTextAsync("meanwhile");
            Assert.Equal("meanwhile", await ws.ReceiveTextAsync());
            Assert.True(echoStarted.Elapsed < TimeSpan.FromSeconds(1), $"echo round trip took {echoStarted.ElapsedMilliseconds} ms");
            Assert.False(hanging.Any(h => h.IsCompleted), $"a handshake to the unreachable upstream ended after {started.ElapsedMilliseconds} ms, before the connect timeout");
        }

        foreach (var response in await Task.WhenAll(hanging))
        {
            Assert.Equal(502, response.Status);
            using var body = JsonDocument.Parse(response.Body);
            Assert.Equal("default/unreachable", body.RootElement.GetProperty("route").GetString());
            Assert.Contains("connect timed out after 500ms", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // One attempt of 500 ms; the slack is for a loaded machine.
        Assert.InRange(started.Elapsed, ConnectTimeout - TimeSpan.FromMilliseconds(50), ConnectTimeout + TimeSpan.FromSeconds(2));
        var scrape = await Scrape.FromAsync(_sidecar.Host.AdminUrl);
        Assert.Equal(5, scrape.Value("wsproxy_handshake_failures_total", ("route", "unreachable"), ("reason", "upstream_unreachable")));
    }

    [Fact]
    public async Task An_upstream_that_stalls_after_the_handshake_is_closed_1001_by_keepalive_and_its_connection_freed()
    {
        var started = Stopwatch.StartNew();
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/stalled-keepalive"));

        // The client answers the proxy's pings (the receive below reads them); the upstream answers none.
        var (status, reason) = await ws.ReceiveCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "keepalive timeout"), (status, reason));
        Assert.InRange(started.Elapsed, 2 * KeepAlive, (2 * KeepAlive) + TimeSpan.FromSeconds(2));

        // The upstream never reads the proxy's close frame: the proxy gives up on it and frees the connection.
        await Poll.UntilAsync(
            async () => (await Scrape.FromAsync(_sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", ("route", "stalled-keepalive")) == 0,
            "the stalled connection to be released",
            TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task An_upstream_that_stalls_after_the_handshake_is_closed_1001_by_the_idle_timeout_and_its_connection_freed()
    {
        var started = Stopwatch.StartNew();
        using var ws = await Ws.ConnectAsync(_sidecar.Ws("/stalled-idle"));

        var (status, reason) = await ws.ReceiveCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "idle timeout"), (status, reason));
        Assert.InRange(started.Elapsed, Idle - TimeSpan.FromMilliseconds(50), Idle + TimeSpan.FromSeconds(2));
        await Poll.UntilAsync(
            async () => (await Scrape.FromAsync(_sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", ("route", "stalled-idle")) == 0,
            "the stalled connection to be released",
            TimeSpan.FromSeconds(15));
    }
}
