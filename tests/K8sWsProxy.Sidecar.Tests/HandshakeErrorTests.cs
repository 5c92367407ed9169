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
              - {name: down, match: {path: /down}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{Ports.Free()}}}/"}, {url: "ws://127.0.0.1:{{{Ports.Free()}}}/"}], retry: {attempts: 3, initialInterval: 10ms} } }
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

        await Poll.UntilAsync(async () => (await RawHandshake.SendAsync(_sidecar.Ws("/small"))).Status == 101, "a freed slot");
    }

    [Fact]
    public async Task No_matching_route_is_404_with_json()
    {
        var response = await RawHandshake.SendAsync(_sidecar.Ws("/nowhere"));
        Assert.Equal(404, response.Status);
        using var body = JsonDocument.Parse(response.Body);
        Assert.Contains("no route", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static string Head(string path, params string[] lines) => $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(lines.Select(l => l + "\r\n"))}\r\n";

    [Fact]
    public async Task A_handshake_without_a_key_is_400_and_never_reaches_the_upstream()
    {
        // The route's upstream is down: had the request gone there, the answer would be 502.
        var response = await RawHandshake.SendHeadAsync(_sidecar.Ws("/"), Head("/down", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13"));
        AssertBody(response, 400, "default/down", "Sec-WebSocket-Key");
        AssertBody(await RawHandshake.SendHeadAsync(_sidecar.Ws("/"), Head("/down", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: c2hvcnQ=")), 400, "default/down", "Sec-WebSocket-Key");
    }

    [Fact]
    public async Task Another_websocket_version_is_426_naming_13()
    {
        var response = await RawHandshake.SendHeadAsync(_sidecar.Ws("/"), Head("/down", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="));
        AssertBody(response, 426, "default/down", "Sec-WebSocket-Version");
        Assert.Equal("13", response.Headers["sec-websocket-version"]);
    }

    public static TheoryData<string, string> MalformedHeads => new()
    {
        { "space before the colon", Head("/guarded", "Upgrade : websocket") },
        { "folded line", Head("/guarded", "X-A: 1", " continued") },
        { "bare LF", "GET /guarded HTTP/1.1\r\nHost: 127.0.0.1\nX-A: 1\r\n\r\n" },
        { "control character", Head("/guarded", "X-A: a\u0001b") },
        { "two Host headers", Head("/guarded", "Host: other") },
        { "no Host header", "GET /guarded HTTP/1.1\r\n\r\n" },
        { "101 header fields", Head("/guarded", [.. Enumerable.Range(0, 100).Select(i => $"X-{i}: {i}")]) },
        { "a head over 16 KiB", Head("/guarded", $"X-Big: {new string('a', 17_000)}") },
        { "absolute-form target", "GET http://127.0.0.1/guarded HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "HTTP/2.0 in the request line", "GET /guarded HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public async Task A_malformed_head_is_400(string kind, string head)
    {
        var response = await RawHandshake.SendHeadAsync(_sidecar.Ws("/"), head);
        Assert.True(response.Status == 400, $"{kind}: {response.Status}");
        using var body = JsonDocument.Parse(response.Body);
        Assert.StartsWith("bad request", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_head_that_never_ends_is_answered_408_and_closed()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _sidecar.Host.PlainUrl.Port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /guarded HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var answer = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            answer.Write(buffer, 0, read);
        }

        Assert.StartsWith("HTTP/1.1 408 ", System.Text.Encoding.ASCII.GetString(answer.ToArray()), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> WrongAnswers => new()
    {
        { "a wrong Sec-WebSocket-Accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n" },
        { "a subprotocol the client did not offer", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n" },
        { "an extension the client did not offer", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n" },
        { "no upgrade headers", "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept}\r\n\r\n" },
        { "a status line that is not HTTP", "HTTP/9 101 Hmm\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(WrongAnswers))]
    public async Task A_101_that_does_not_complete_the_clients_handshake_is_502(string kind, string answer)
    {
        using var upstream = new RawUpstream(answer: accept => answer.Replace("{accept}", accept, StringComparison.Ordinal));
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: odd
                match: {path: /}
                upstream: {endpoints: [{url: "ws://127.0.0.1:{{{upstream.Port}}}/"}], retry: {attempts: 1}}
            """);
        var response = await RawHandshake.SendAsync(sidecar.Ws("/"));
        Assert.True(response.Status == 502, $"{kind}: {response.Status}");
        using var body = JsonDocument.Parse(response.Body);
        Assert.Contains("handshake answer is not valid", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_the_upstream_sends_right_behind_its_101_reaches_the_client()
    {
        // Many servers greet at once: the greeting often shares a TCP segment with the 101.
        using var upstream = new RawUpstream(answer: accept =>
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n\u0081\u0005hello");
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: greeter, match: {path: /}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{upstream.Port}}}/"}]}}
            """);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
        Assert.Equal("hello", await ws.ReceiveTextAsync());
    }
}
