using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Documents applied under live traffic: a change touches only what it changes.</summary>
public sealed class HotReloadTests : IAsyncLifetime
{
    private static readonly TestCertificates Authority = new();
    private TestUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await TestUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static string Pem(string pem) => JsonSerializer.Serialize(pem);

    private string Route(string name, string path, string extra = "") =>
        $"  - {{name: {name}, match: {{path: {path}}}, upstream: {{endpoints: [{{url: \"{_upstream.WsUrl()}\"}}]}}, timeouts: {{drain: 200ms}}{extra}}}\n";

    private string TlsRoute(string name, string host, TestCertificates.Issued certificate) =>
        $"  - {{name: {name}, match: {{hosts: [{host}], path: /}}, upstream: {{endpoints: [{{url: \"{_upstream.WsUrl()}\"}}]}}, " +
        $"tls: {{certificatePem: {Pem(certificate.CertificatePem)}, privateKeyPem: {Pem(certificate.KeyPem)}}}}}\n";

    private string UpstreamTlsRoute(string name, string caPem) =>
        $"  - {{name: {name}, match: {{path: /{name}}}, upstream: {{endpoints: [{{url: \"wss://127.0.0.1:1/\"}}], tls: {{caPem: {Pem(caPem)}, serverName: backend.internal}}}}}}\n";

    [Fact]
    public async Task Reload_storm_leaves_unaffected_connections_untouched_and_drains_removed_routes()
    {
        var certificates = Enumerable.Range(0, 3).Select(i => Authority.Issue($"rotating-{i}", "tls.example.com")).ToArray();
        var cas = new[] { new TestCertificates("ca-1").CaPem, new TestCertificates("ca-2").CaPem };
        await using var sidecar = await TestSidecar.StartAsync("routes:\n" + Route("a", "/a") + Route("doomed", "/doomed") + TlsRoute("tls", "tls.example.com", certificates[0]));

        const int connections = 200;
        var live = new ClientWebSocket[connections];
        for (var i = 0; i < connections; i++)
        {
            live[i] = await Ws.ConnectAsync(sidecar.Ws("/a"));
        }

        var doomed = new List<ClientWebSocket>();
        for (var i = 0; i < 5; i++)
        {
            doomed.Add(await Ws.ConnectAsync(sidecar.Ws("/doomed")));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exchanged = new long[connections];
        var traffic = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            // Each connection sends numbered messages and must get each one back, in order and unchanged.
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var text = $"conn {i} message {n} " + new string('x', n % 50);
                await live[i].SendTextAsync(text);
                Assert.Equal(text, await live[i].ReceiveTextAsync());
                exchanged[i]++;
            }
        })).ToArray();

        // 100 documents: the doomed route goes, other routes come and go, the certificate rotates, another
        // route's upstream CA flips. Route a stays exactly as it was.
        var doomedClosed = Task.WhenAll(doomed.Select(async d =>
        {
            var (status, _) = await d.ReceiveCloseAsync(TimeSpan.FromSeconds(5));
            return (Status: status, At: DateTime.UtcNow);
        }));
        var removedAt = DateTime.UtcNow;
        for (var k = 0; k < 100; k++)
        {
            var document = "routes:\n" + Route("a", "/a") + TlsRoute("tls", "tls.example.com", certificates[k % 3]) + UpstreamTlsRoute("upstream-tls", cas[k % 2]);
            if (k % 2 == 0)
            {
                document += Route($"extra-{k % 10}", $"/extra-{k % 10}");
            }

            var result = await sidecar.ApplyAsync(document);
            Assert.True(result.Accepted, result.ToString());
        }

        // Within their drain timeout (200 ms) plus one second of the document that removed their route.
        foreach (var (status, at) in await doomedClosed)
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            Assert.True(at - removedAt < TimeSpan.FromMilliseconds(1200), $"closed {at - removedAt} after the removal");
        }

        await Poll.UntilAsync(() => exchanged.All(e => e >= 3), "every connection on a to keep exchanging", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(traffic);
        Assert.All(live, ws => Assert.Equal(WebSocketState.Open, ws.State));
        foreach (var ws in live.Concat(doomed))
        {
            ws.Dispose();
        }
    }

    [Fact]
    public async Task A_handshake_in_flight_when_its_route_changes_still_completes()
    {
        using var slow = new RawUpstream(handshakeDelay: TimeSpan.FromMilliseconds(800));
        string Document(string version) =>
            $"routes:\n  - {{name: slow, match: {{path: /}}, upstream: {{endpoints: [{{url: \"ws://127.0.0.1:{slow.Port}/\"}}]}}, headers: {{set: {{x-version: '{version}'}}}}}}\n";
        await using var sidecar = await TestSidecar.StartAsync(Document("1"));
        var connecting = Ws.ConnectAsync(sidecar.Ws("/"));
        using var http = new HttpClient();
        await Poll.UntilAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync(new Uri(sidecar.Host.AdminUrl, "/v1/config"))).RootElement.GetProperty("routes")[0].GetProperty("connections").GetInt32() == 1,
            "the handshake to be in flight");
        Assert.True((await sidecar.ApplyAsync(Document("2"))).Accepted);
        using var ws = await connecting;
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task Certificate_rotation_serves_new_handshakes_and_keeps_established_ones()
    {
        var before = Authority.Issue("before", "rotate.example.com");
        var after = Authority.Issue("after", "rotate.example.com");
        await using var sidecar = await TestSidecar.StartAsync("routes:\n" + TlsRoute("rotate", "rotate.example.com", before));

        async Task<(ClientWebSocket Socket, string Thumbprint)> ConnectAsync()
        {
            string? seen = null;
            var invoker = new HttpMessageInvoker(new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    TargetHost = "rotate.example.com",
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        seen = new X509Certificate2(certificate!).Thumbprint;
                        return true;
                    },
                },
            });
            var socket = await Ws.ConnectAsync(sidecar.Wss("/"), o => o.SetRequestHeader("Host", "rotate.example.com"), invoker);
            return (socket, seen!);
        }

        var (old, oldThumbprint) = await ConnectAsync();
        Assert.Equal(before.Certificate.Thumbprint, oldThumbprint);
        Assert.True((await sidecar.ApplyAsync("routes:\n" + TlsRoute("rotate", "rotate.example.com", after))).Accepted);

        var (fresh, freshThumbprint) = await ConnectAsync();
        Assert.Equal(after.Certificate.Thumbprint, freshThumbprint);
        await old.SendTextAsync("opened before the rotation");
        Assert.Equal("opened before the rotation", await old.ReceiveTextAsync());
        await fresh.SendTextAsync("opened after");
        Assert.Equal("opened after", await fresh.ReceiveTextAsync());
        old.Dispose();
        fresh.Dispose();

        using var http = new HttpClient();
        var summary = await http.GetStringAsync(new Uri(sidecar.Host.AdminUrl, "/v1/config"));
        Assert.Contains("CN=after", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  - {name: bad, match: {path: '([', pathType: RegularExpression}, upstream: {endpoints: [{url: 'ws://x'}]}}\n", "routes[1].match.path")]
    [InlineData("  - {name: bad, match: {path: /bad}, upstream: {endpoints: []}}\n", "routes[1].upstream.endpoints")]
    [InlineData("  - {name: bad, match: {path: /bad}, upstream: {endpoints: [{url: 'ws://x'}]}, tls: {certificatePem: 'not pem', privateKeyPem: 'not pem'}}\n", "routes[1].tls.certificatePem")]
    [InlineData("MISMATCHED", "routes[1].tls.certificatePem")]
    [InlineData("  - {name: bad, match: {path: /a}, upstream: {endpoints: [{url: 'ws://x'}]}}\n", "routes[1].match")]
    public async Task An_invalid_document_is_refused_with_reasons_and_the_previous_one_keeps_serving(string badRoute, string field)
    {
        if (badRoute == "MISMATCHED")
        {
            var one = Authority.Issue("one", "one.example.com");
            var two = Authority.Issue("two", "two.example.com");
            badRoute = $"  - {{name: bad, match: {{path: /bad}}, upstream: {{endpoints: [{{url: 'ws://x'}}]}}, tls: {{certificatePem: {Pem(one.CertificatePem)}, privateKeyPem: {Pem(two.KeyPem)}}}}}\n";
        }

        await using var sidecar = await TestSidecar.StartAsync("routes:\n" + Route("a", "/a"));
        var revision = sidecar.Host.ActiveRevision;
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/a"));

        var document = TestSidecar.ParseUnvalidated("routes:\n" + Route("a", "/a") + badRoute);
        var result = await sidecar.Host.ApplyAsync(document);
        Assert.False(result.Accepted);
        Assert.Contains(result.Reasons, r => r.StartsWith(field + ":", StringComparison.Ordinal));
        Assert.Equal(revision, sidecar.Host.ActiveRevision);

        await ws.SendTextAsync("still served");
        Assert.Equal("still served", await ws.ReceiveTextAsync());
        using var fresh = await Ws.ConnectAsync(sidecar.Ws("/a"));
        await fresh.SendAsync(Encoding.UTF8.GetBytes("new connections too"), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("new connections too", await fresh.ReceiveTextAsync());
    }
}
