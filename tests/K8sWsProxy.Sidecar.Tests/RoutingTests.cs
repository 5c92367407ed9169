namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Which upstream a connection reaches: matching, load balancing, affinity and connect retries.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly TestUpstream[] _upstreams = new TestUpstream[4];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < _upstreams.Length; i++)
        {
            _upstreams[i] = await TestUpstream.StartAsync(name: $"u{i}");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var upstream in _upstreams)
        {
            await upstream.DisposeAsync();
        }
    }

    private string Url(int i) => _upstreams[i].WsUrl();

    private static async Task<string> NameBehind(Uri uri, Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null)
    {
        using var ws = await Ws.ConnectAsync(uri, configure);
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        return info.RootElement.GetProperty("name").GetString()!;
    }

    [Fact]
    public async Task Host_path_and_header_conditions_pick_the_route()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: by-host, match: {hosts: [chat.example.com], path: /ws}, upstream: {endpoints: [{url: "{{{Url(0)}}}"}]}}
              - {name: by-prefix, match: {path: /ws}, upstream: {endpoints: [{url: "{{{Url(1)}}}"}]}}
              - {name: by-header, match: {path: /ws, headers: [{name: x-region, value: eu-west}]}, upstream: {endpoints: [{url: "{{{Url(2)}}}"}]}}
              - {name: exact, match: {path: /ws/exact, pathType: Exact}, upstream: {endpoints: [{url: "{{{Url(3)}}}"}]}}
              - {name: regex, match: {path: "/rooms/[0-9]+", pathType: RegularExpression}, upstream: {endpoints: [{url: "{{{Url(2)}}}"}]}}
            """);

        Assert.Equal("u0", await NameBehind(sidecar.Ws("/ws"), o => o.SetRequestHeader("Host", "chat.example.com")));
        Assert.Equal("u1", await NameBehind(sidecar.Ws("/ws/anything")));
        Assert.Equal("u2", await NameBehind(sidecar.Ws("/ws"), o => o.SetRequestHeader("x-region", "EU-WEST")));
        Assert.Equal("u3", await NameBehind(sidecar.Ws("/ws/exact")));
        Assert.Equal("u1", await NameBehind(sidecar.Ws("/ws/exact/more")));
        Assert.Equal("u2", await NameBehind(sidecar.Ws("/rooms/42")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await Ws.RefusedStatusAsync(sidecar.Ws("/rooms/abc")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await Ws.RefusedStatusAsync(sidecar.Ws("/wsx")));
    }

    [Theory]
    [InlineData("RoundRobin")]
    [InlineData("Random")]
    [InlineData("LeastConnections")]
    [InlineData("PowerOfTwoChoices")]
    public async Task Connections_spread_over_endpoints_by_weight(string policy)
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: spread
                match: {path: /}
                upstream:
                  loadBalancing: {{{policy}}}
                  endpoints: [{url: "{{{Url(0)}}}", weight: 1}, {url: "{{{Url(1)}}}", weight: 3}]
            """);
        // Connections stay open so LeastConnections sees the load.
        var open = new List<System.Net.WebSockets.ClientWebSocket>();
        var counts = new Dictionary<string, int> { ["u0"] = 0, ["u1"] = 0 };
        const int total = 40;
        for (var i = 0; i < total; i++)
        {
            var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
            open.Add(ws);
            await ws.SendTextAsync("__info");
            using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
            counts[info.RootElement.GetProperty("name").GetString()!]++;
        }

        open.ForEach(w => w.Dispose());
        if (policy is "RoundRobin" or "LeastConnections")
        {
            Assert.Equal(10, counts["u0"]);
            Assert.Equal(30, counts["u1"]);
        }
        else
        {
            // Random draws: both endpoints used, the heavier one clearly more.
            Assert.InRange(counts["u0"], 1, 19);
            Assert.True(counts["u1"] > counts["u0"], $"u0={counts["u0"]} u1={counts["u1"]}");
        }
    }

    [Theory]
    [InlineData("header: x-user-id")]
    [InlineData("cookie: session")]
    public async Task Session_affinity_keeps_a_key_on_one_endpoint(string affinity)
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: sticky
                match: {path: /}
                upstream:
                  sessionAffinity: { {{{affinity}}} }
                  endpoints: [{url: "{{{Url(0)}}}"}, {url: "{{{Url(1)}}}"}, {url: "{{{Url(2)}}}"}]
            """);
        void Key(System.Net.WebSockets.ClientWebSocketOptions o, string key)
        {
            if (affinity.StartsWith("header", StringComparison.Ordinal))
            {
                o.SetRequestHeader("x-user-id", key);
            }
            else
            {
                o.SetRequestHeader("Cookie", $"other=1; session={key}");
            }
        }

        var seen = new HashSet<string>();
        for (var user = 0; user < 12; user++)
        {
            var first = await NameBehind(sidecar.Ws("/"), o => Key(o, $"user-{user}"));
            for (var again = 0; again < 3; again++)
            {
                Assert.Equal(first, await NameBehind(sidecar.Ws("/"), o => Key(o, $"user-{user}")));
            }

            seen.Add(first);
        }

        Assert.True(seen.Count >= 2, "twelve keys should not all hash to one endpoint");
    }

    [Fact]
    public async Task A_refused_endpoint_is_retried_on_the_next()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: retry
                match: {path: /}
                upstream:
                  endpoints: [{url: "ws://127.0.0.1:{{{Ports.Free()}}}/"}, {url: "{{{Url(3)}}}"}]
                  retry: {attempts: 2, initialInterval: 10ms}
            """);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("u3", await NameBehind(sidecar.Ws("/")));
        }
    }

    [Fact]
    public async Task Headers_are_set_and_removed_on_the_way_to_the_upstream()
    {
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: headers
                match: {path: /}
                upstream: {endpoints: [{url: "{{{Url(0)}}}"}]}
                headers: {set: {x-forwarded-by: k8s-ws-proxy, x-tenant: blue}, remove: [cookie, x-secret]}
            """);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/"), o =>
        {
            o.SetRequestHeader("Cookie", "session=abc");
            o.SetRequestHeader("x-secret", "hunter2");
            o.SetRequestHeader("x-tenant", "red");
            o.SetRequestHeader("x-kept", "yes");
        });
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        var headers = info.RootElement.GetProperty("headers");
        Assert.Equal("k8s-ws-proxy", headers.GetProperty("x-forwarded-by").GetString());
        Assert.Equal("blue", headers.GetProperty("x-tenant").GetString());
        Assert.Equal("yes", headers.GetProperty("x-kept").GetString());
        Assert.False(headers.TryGetProperty("cookie", out _));
        Assert.False(headers.TryGetProperty("x-secret", out _));
    }

    [Fact]
    public async Task A_connect_that_hangs_times_out_and_the_next_endpoint_serves()
    {
        // A listener whose accept queue is full: Linux drops further SYNs, so a connect to it hangs.
        using var full = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        full.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        full.Listen(0);
        var hung = ((System.Net.IPEndPoint)full.LocalEndPoint!).Port;
        var fillers = new List<System.Net.Sockets.Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            _ = filler.ConnectAsync(System.Net.IPAddress.Loopback, hung);
            fillers.Add(filler);
        }

        try
        {
            await using var sidecar = await TestSidecar.StartAsync($$$"""
                routes:
                  - name: slow
                    match: {path: /}
                    timeouts: {connect: 300ms, handshake: 5s}
                    upstream:
                      loadBalancing: RoundRobin
                      endpoints: [{url: "ws://127.0.0.1:{{{hung}}}/"}, {url: "{{{Url(2)}}}"}]
                      retry: {attempts: 2, initialInterval: 10ms}
                """);
            for (var i = 0; i < 2; i++)
            {
                var started = DateTime.UtcNow;
                Assert.Equal("u2", await NameBehind(sidecar.Ws("/")));
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), $"took {DateTime.UtcNow - started}");
            }

            Assert.Contains(sidecar.Logs.Lines, l => l.Contains($"127.0.0.1:{hung}", StringComparison.Ordinal) && l.Contains("attempt 1 of 2", StringComparison.Ordinal));
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }
}
