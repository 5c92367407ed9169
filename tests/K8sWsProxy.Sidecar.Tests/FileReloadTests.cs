namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Standalone hot reload: edits of the config file apply under live traffic and touch only what they change.</summary>
public sealed class FileReloadTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wsproxy-reload-");
    private TestUpstream _u0 = null!;
    private TestUpstream _u1 = null!;

    public async Task InitializeAsync()
    {
        _u0 = await TestUpstream.StartAsync(name: "u0");
        _u1 = await TestUpstream.StartAsync(name: "u1");
    }

    public async Task DisposeAsync()
    {
        await _u0.DisposeAsync();
        await _u1.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Route(string name, string path, TestUpstream upstream, string extra = "") =>
        $"  - {{name: {name}, match: {{path: {path}}}, upstream: {{endpoints: [{{url: \"{upstream.WsUrl()}\"}}]}}, timeouts: {{drain: 300ms}}{extra}}}\n";

    private static async Task<string> Echo(ClientWebSocket ws, string text)
    {
        await ws.SendTextAsync(text);
        return await ws.ReceiveTextAsync();
    }

    private static async Task<string> NameBehind(Uri uri)
    {
        using var ws = await Ws.ConnectAsync(uri);
        await ws.SendTextAsync("__info");
        using var info = JsonDocument.Parse(await ws.ReceiveTextAsync());
        return info.RootElement.GetProperty("name").GetString()!;
    }

    [Fact]
    public async Task File_edits_apply_and_touch_only_what_they_change()
    {
        var file = Path.Combine(_dir.FullName, "config.yaml");
        var initial = "routes:\n" + Route("a", "/a", _u0) + Route("b", "/b", _u0);
        await File.WriteAllTextAsync(file, initial);
        await using var sidecar = await TestSidecar.StartAsync(initial, configFile: file);
        using var onA = await Ws.ConnectAsync(sidecar.Ws("/a"));
        using var onB = await Ws.ConnectAsync(sidecar.Ws("/b"));
        var first = sidecar.Host.ActiveRevision;

        // Add route c and change a's forwarded headers: a's live connection is not touched.
        await File.WriteAllTextAsync(file, "routes:\n" + Route("a", "/a", _u0, ", headers: {set: {x-new: '1'}}") + Route("b", "/b", _u0) + Route("c", "/c", _u1));
        await Poll.UntilAsync(async () => await Ws.RefusedOrNameAsync(sidecar.Ws("/c")) == "u1", "route c to serve");
        Assert.Equal("still a", await Echo(onA, "still a"));

        // A half-written file is refused; everything keeps serving.
        var revision = sidecar.Host.ActiveRevision;
        await File.WriteAllTextAsync(file, "routes:\n  - {name: a, match: {path: /a}, upstream: {endpoi");
        await Poll.UntilAsync(() => sidecar.Logs.Lines.Any(l => l.Contains("refused", StringComparison.Ordinal) && l.Contains(file, StringComparison.Ordinal)), "the half-written file to be refused");
        Assert.Equal(revision, sidecar.Host.ActiveRevision);
        Assert.NotEqual(first, revision);
        Assert.Equal("u1", await NameBehind(sidecar.Ws("/c")));
        Assert.Equal("still b", await Echo(onB, "still b"));

        // Remove b and move a to another endpoint: both live connections drain with 1001; new a connections use u1.
        await File.WriteAllTextAsync(file, "routes:\n" + Route("a", "/a", _u1) + Route("c", "/c", _u1));
        var (statusB, _) = await onB.ReceiveCloseAsync(TimeSpan.FromSeconds(3));
        var (statusA, _) = await onA.ReceiveCloseAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, statusB);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, statusA);
        Assert.Equal("u1", await NameBehind(sidecar.Ws("/a")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await Ws.RefusedStatusAsync(sidecar.Ws("/b")));
    }

    [Fact]
    public async Task Replacing_the_certificate_files_rotates_the_certificate()
    {
        var authority = new TestCertificates();
        var before = authority.Issue("before", "files.example.com");
        var after = authority.Issue("after", "files.example.com");
        var certificate = Path.Combine(_dir.FullName, "tls.crt");
        var key = Path.Combine(_dir.FullName, "tls.key");
        await File.WriteAllTextAsync(certificate, before.CertificatePem);
        await File.WriteAllTextAsync(key, before.KeyPem);
        var file = Path.Combine(_dir.FullName, "config.yaml");
        var yaml = $"routes: [{{name: files, match: {{path: /}}, upstream: {{endpoints: [{{url: \"{_u0.WsUrl()}\"}}]}}, tls: {{certificateFile: {certificate}, privateKeyFile: {key}}}}}]";
        await File.WriteAllTextAsync(file, yaml);
        await using var sidecar = await TestSidecar.StartAsync(yaml, configFile: file);

        async Task<string> ServedSubject()
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", sidecar.Host.TlsUrl!.Port);
            using var tls = new System.Net.Security.SslStream(client.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("files.example.com");
            return tls.RemoteCertificate!.Subject;
        }

        Assert.Equal("CN=before", await ServedSubject());
        // A pair written one file after the other: in between, the mismatched pair is refused and "before" stays.
        await File.WriteAllTextAsync(key, after.KeyPem);
        await File.WriteAllTextAsync(certificate, after.CertificatePem);
        await Poll.UntilAsync(async () => await ServedSubject() == "CN=after", "the rotated certificate");
    }
}
