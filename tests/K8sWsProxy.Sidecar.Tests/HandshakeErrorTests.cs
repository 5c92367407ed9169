using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using K8sWsProxy.Sidecar.Tests.Infrastructure;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Every refusal before the upgrade is an HTTP status with a small JSON body naming the route.</summary>
public sealed class HandshakeErrorTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private TcpListener _blackHole = null!;
    private TestSidecar _sidecar = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync();
        // Accepts TCP connections and never answers: a hung upstream.
        _blackHole = new TcpListener(IPAddress.Loopback, 0);
        _blackHole.Start();
        var hole = ((IPEndPoint)_blackHole.LocalEndpoint).Port;
        _sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: down, match: {path: /down}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{Ports.Closed()}}}/"}, {url: "ws://127.0.0.1:{{{Ports.Closed()}}}/"}], retry: {attempts: 3, initialInterval: 10ms} } }
              - {name: hung, match: {path: /hung}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{hole}}}/"}]}, timeouts: {handshake: 500ms}}
              - {name: guarded, match: {path: /guarded}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, websocket: {allowedOrigins: ["https://chat.example.com"]}}
              - {name: small, match: {path: /small}, upstream: {endpoints: [{url: "{{{_upstream.WsUrl()}}}"}]}, limits: {maxConnections: 1}}
            """);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _blackHole.Stop();
        await _upstream.DisposeAsync();
    }

    private static void AssertBody(RawHandshake.Response response, int status, string route, string error)
    {
        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/json", response.Headers["content-type"], StringComparison.Ordinal);
        using var body = JsonDocument.Parse(response.Body);
        Assert.Equal(route, body.RootElement.GetProperty("route").GetString());
        Assert.Contains(error, body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_upstream_after_retries_is_502() =>
        AssertBody(await RawHandshake.SendAsync(_sidecar.Ws("/down")), 502, "default/down", "no upstream endpoint accepted");

    [Fact]
    public async Task Hung_upstream_is_504_after_the_handshake_timeout()
    {
        var started = DateTime.UtcNow;
        AssertBody(await RawHandshake.SendAsync(_sidecar.Ws("/hung")), 504, "default/hung", "timed out");
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Plain_http_on_a_websocket_route_is_426()
    {
        var response = await RawHandshake.SendAsync(_sidecar.Ws("/guarded"), upgrade: false);
        AssertBody(response, 426, "default/guarded", "only accepts WebSocket");
        Assert.Equal("websocket", response.Headers["upgrade"]);
    }

    [Fact]
    public async Task Foreign_origin_is_403_and_the_allowed_one_passes()
    {
        AssertBody(await RawHandshake.SendAsync(_sidecar.Ws("/guarded"), true, ("Origin", "https://evil.example.com")), 403, "default/guarded", "origin");
        Assert.Equal(101, (await RawHandshake.SendAsync(_sidecar.Ws("/guarded"), true, ("Origin", "https://chat.example.com"))).Status);
    }

    [Fact]
    public async Task Connection_limit_gives_503_until_a_slot_frees()
    {
        using (var first = await Ws.ConnectAsync(_sidecar.Ws("/small")))
        {
            AssertBody(await RawHandshake.SendAsync(_sidecar.Ws("/small")), 503, "default/small", "connection limit");
            await first.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await Wait.UntilAsync(async () => (await RawHandshake.SendAsync(_sidecar.Ws("/small"))).Status == 101, "a freed slot");
    }

    [Fact]
    public async Task No_matching_route_is_404_with_json()
    {
        var response = await RawHandshake.SendAsync(_sidecar.Ws("/nowhere"));
        Assert.Equal(404, response.Status);
        using var body = JsonDocument.Parse(response.Body);
        Assert.Contains("no route", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
