using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The TLS listener (certificate by SNI), WebSockets over HTTP/2 (RFC 8441) and TLS to the upstream.</summary>
public sealed class TlsAndHttp2Tests
{
    private static readonly TestCertificates Authority = new();

    private static string Indent(string pem, int width = 8) => string.Join("\n", pem.Split('\n').Select(l => new string(' ', width) + l));

    private static HttpMessageInvoker Client(string? expectName, Action<X509Certificate2>? seen = null, Version? version = null) =>
        new(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = expectName,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen?.Invoke(new X509Certificate2(certificate!));
                    return true;
                },
            },
        });

    [Fact]
    public async Task Sni_picks_the_routes_certificate_and_http2_websockets_work()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var chat = Authority.Issue("chat", "chat.example.com");
        var admin = Authority.Issue("admin", "admin.example.com");
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: chat
                match: {hosts: [chat.example.com], path: /}
                upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}
                tls:
                  certificatePem: |
            {{{Indent(chat.CertificatePem)}}}
                  privateKeyPem: |
            {{{Indent(chat.KeyPem)}}}
              - name: admin
                match: {hosts: [admin.example.com], path: /}
                upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}
                tls:
                  certificatePem: |
            {{{Indent(admin.CertificatePem)}}}
                  privateKeyPem: |
            {{{Indent(admin.KeyPem)}}}
            """);

        foreach (var (host, expected) in new[] { ("chat.example.com", chat), ("admin.example.com", admin) })
        {
            foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
            {
                X509Certificate2? served = null;
                using var invoker = Client(host, c => served = c);
                using var ws = await Ws.ConnectAsync(sidecar.Wss("/room"), o =>
                {
                    o.HttpVersion = version;
                    o.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                    o.SetRequestHeader("Host", host);
                }, invoker);
                Assert.Equal(expected.Certificate.Thumbprint, served!.Thumbprint);
                await ws.SendTextAsync("__info");
                using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
                // The upstream always gets an HTTP/1.1 upgrade, whatever the client spoke.
                Assert.Equal("HTTP/1.1", info.RootElement.GetProperty("protocol").GetString());
                Assert.Equal("https", info.RootElement.GetProperty("headers").GetProperty("x-forwarded-proto").GetString());
                var big = new byte[300_000];
                Random.Shared.NextBytes(big);
                await ws.SendAsync(big, WebSocketMessageType.Binary, true, CancellationToken.None);
                Assert.Equal(big, (await ws.ReceiveMessageAsync()).Data);
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
            }
        }
    }

    /// <summary>Route "secure" at /secure: mutual TLS to <paramref name="upstream"/>, its header x-marker set to <paramref name="marker"/>.</summary>
    private static string MutualTlsRoute(TestUpstream upstream, TestCertificates ca, TestCertificates.Issued client, string marker) => $$$"""
          - name: secure
            match: {path: /secure}
            headers: {set: {x-marker: {{{marker}}}}}
            upstream:
              endpoints: [{url: "{{{upstream.WsUrl()}}}"}]
              tls:
                serverName: backend.internal
                caPem: |
        {{{Indent(ca.CaPem, 10)}}}
                clientCertificatePem: |
        {{{Indent(client.CertificatePem, 10)}}}
                clientKeyPem: |
        {{{Indent(client.KeyPem, 10)}}}

        """;

    [Fact]
    public async Task Upstream_mtls_with_a_private_ca_and_a_server_name_override()
    {
        var upstreamCa = new TestCertificates("upstream-ca");
        var server = upstreamCa.Issue("backend", "backend.internal");
        var client = upstreamCa.Issue("proxy-client");
        await using var upstream = await TestUpstream.StartAsync(certificate: server.Certificate, clientCa: upstreamCa.Ca);
        await using var sidecar = await TestSidecar.StartAsync("routes:\n" + MutualTlsRoute(upstream, upstreamCa, client, "a") + $$$"""
              - name: wrong-ca
                match: {path: /wrong}
                upstream:
                  endpoints: [{url: "{{{upstream.WsUrl()}}}"}]
                  retry: {attempts: 1}
                  tls:
                    serverName: backend.internal
                    caPem: |
            {{{Indent(Authority.CaPem, 10)}}}
            """);

        using (var ws = await Ws.ConnectAsync(sidecar.Ws("/secure")))
        {
            await ws.SendTextAsync("__info");
            using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
            Assert.Equal("CN=proxy-client", info.RootElement.GetProperty("clientCertificate").GetString());
        }

        var refused = await RawHandshake.SendAsync(sidecar.Ws("/wrong"));
        Assert.Equal(502, refused.Status);
        Assert.Contains("remote certificate is invalid", refused.Body, StringComparison.Ordinal);
        Assert.Contains(sidecar.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("default/wrong-ca", StringComparison.Ordinal) && l.Contains("remote certificate is invalid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upstream_client_certificate_is_kept_across_unrelated_changes_and_rotates_when_its_pem_changes()
    {
        var upstreamCa = new TestCertificates("upstream-ca");
        var server = upstreamCa.Issue("backend", "backend.internal");
        var first = upstreamCa.Issue("proxy-client-1");
        var second = upstreamCa.Issue("proxy-client-2");
        await using var upstream = await TestUpstream.StartAsync(certificate: server.Certificate, clientCa: upstreamCa.Ca);
        string Document(TestCertificates.Issued client, string marker) => "routes:\n" + MutualTlsRoute(upstream, upstreamCa, client, marker);

        async Task<(string? Certificate, string? Marker)> SeenByUpstreamAsync(TestSidecar sidecar)
        {
            using var ws = await Ws.ConnectAsync(sidecar.Ws("/secure"));
            await ws.SendTextAsync("__info");
            using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
            return (info.RootElement.GetProperty("clientCertificate").GetString(), info.RootElement.GetProperty("headers").GetProperty("x-marker").GetString());
        }

        await using var sidecar = await TestSidecar.StartAsync(Document(first, "a"));
        Assert.Equal(("CN=proxy-client-1", "a"), await SeenByUpstreamAsync(sidecar));
        Assert.True((await sidecar.ApplyAsync(Document(first, "b"))).Accepted);
        Assert.Equal(("CN=proxy-client-1", "b"), await SeenByUpstreamAsync(sidecar));
        Assert.True((await sidecar.ApplyAsync(Document(second, "c"))).Accepted);
        Assert.Equal(("CN=proxy-client-2", "c"), await SeenByUpstreamAsync(sidecar));
    }

    [Fact]
    public async Task An_endpoint_that_asks_for_http2_gets_a_websocket_over_http2()
    {
        var upstreamCa = new TestCertificates("h2-ca");
        var server = upstreamCa.Issue("backend", "backend.internal");
        await using var upstream = await TestUpstream.StartAsync(certificate: server.Certificate);
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: h2
                match: {path: /}
                websocket: {maxMessageBytes: 100000}
                upstream:
                  endpoints: [{url: "{{{upstream.WsUrl()}}}", httpVersion: "2"}]
                  tls:
                    serverName: backend.internal
                    caPem: |
            {{{Indent(upstreamCa.CaPem, 10)}}}
            """);
        using var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        Assert.Equal("HTTP/2", info.RootElement.GetProperty("protocol").GetString());
        var payload = new byte[50_000];
        Random.Shared.NextBytes(payload);
        await ws.SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(payload, (await ws.ReceiveMessageAsync()).Data);

        // The tunnel sees this direction too: a message over the limit is stopped with 1009.
        await ws.SendAsync(new byte[150_000], WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await ws.ReceiveCloseAsync()).Status);
        await Poll.UntilAsync(async () => (await Scrape.FromAsync(sidecar.Host.AdminUrl)).Value("wsproxy_connections_active", ("route", "h2")) == 0, "the connection to end");
    }

    [Fact]
    public async Task Message_rules_apply_to_clients_over_every_listener_and_protocol()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var chat = Authority.Issue("chat", "chat.example.com");
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: chat
                match: {path: /}
                upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}
                messages:
                  rules: [{name: snot, match: {exact: snot}, action: Reply, text: badger}]
                tls:
                  certificatePem: |
            {{{Indent(chat.CertificatePem)}}}
                  privateKeyPem: |
            {{{Indent(chat.KeyPem)}}}
            """);
        using var invoker = Client("chat.example.com");
        foreach (var (uri, version) in new[] { (sidecar.Ws("/room"), HttpVersion.Version11), (sidecar.Wss("/room"), HttpVersion.Version11), (sidecar.Wss("/room"), HttpVersion.Version20) })
        {
            using var ws = await Ws.ConnectAsync(uri, o =>
            {
                o.HttpVersion = version;
                o.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }, uri.Scheme == "wss" ? invoker : null);
            await ws.SendTextAsync("snot");
            Assert.True("badger" == await ws.ReceiveTextAsync(), $"{uri} over HTTP/{version}");
            await ws.SendTextAsync("other");
            Assert.Equal("other", await ws.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task Every_listener_and_protocol_picks_the_same_route_for_the_same_request()
    {
        // HTTP/1.1 (plain and TLS) is our own data plane, HTTP/2 goes through Kestrel: one route table serves both.
        var upstreams = new List<TestUpstream>();
        for (var i = 0; i < 4; i++)
        {
            upstreams.Add(await TestUpstream.StartAsync(name: $"u{i}"));
        }

        var any = Authority.Issue("any", "chat.example.com");
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - name: by-host
                match: {hosts: [chat.example.com], path: /ws}
                upstream: {endpoints: [{url: "{{{upstreams[0].WsUrl()}}}"}]}
                tls:
                  certificatePem: |
            {{{Indent(any.CertificatePem)}}}
                  privateKeyPem: |
            {{{Indent(any.KeyPem)}}}
              - {name: by-prefix, match: {path: /ws}, upstream: {endpoints: [{url: "{{{upstreams[1].WsUrl()}}}"}]}}
              - {name: by-header, match: {path: /ws, headers: [{name: x-region, value: eu-west}]}, upstream: {endpoints: [{url: "{{{upstreams[2].WsUrl()}}}"}]}}
              - {name: exact, match: {path: /ws/exact, pathType: Exact}, upstream: {endpoints: [{url: "{{{upstreams[3].WsUrl()}}}"}]}}
              - {name: regex, match: {path: "/rooms/[0-9]+", pathType: RegularExpression}, upstream: {endpoints: [{url: "{{{upstreams[2].WsUrl()}}}"}]}}
            """);
        var requests = new (string Path, string? Host, string? Region, string Expected)[]
        {
            ("/ws", "chat.example.com", null, "u0"),
            ("/ws/anything", null, null, "u1"),
            ("/ws", null, "EU-WEST", "u2"),
            ("/ws/exact", null, null, "u3"),
            ("/ws/exact/more", null, null, "u1"),
            ("/rooms/42", null, null, "u2"),
            ("/rooms/abc", null, null, "404"),
        };
        using var invoker = Client("chat.example.com");
        foreach (var (path, host, region, expected) in requests)
        {
            foreach (var (uri, version) in new[] { (sidecar.Ws(path), HttpVersion.Version11), (sidecar.Wss(path), HttpVersion.Version11), (sidecar.Wss(path), HttpVersion.Version20) })
            {
                string reached;
                try
                {
                    using var ws = await Ws.ConnectAsync(uri, o =>
                    {
                        o.HttpVersion = version;
                        o.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                        if (host is not null)
                        {
                            o.SetRequestHeader("Host", host);
                        }

                        if (region is not null)
                        {
                            o.SetRequestHeader("x-region", region);
                        }
                    }, uri.Scheme == "wss" ? invoker : null);
                    await ws.SendTextAsync("__info");
                    using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
                    reached = info.RootElement.GetProperty("name").GetString()!;
                }
                catch (WebSocketException e) when (e.Message.Contains("404", StringComparison.Ordinal))
                {
                    reached = "404";
                }

                Assert.True(expected == reached, $"{uri} over HTTP/{version}: reached {reached}, expected {expected}");
            }
        }

        foreach (var upstream in upstreams)
        {
            await upstream.DisposeAsync();
        }
    }
}
