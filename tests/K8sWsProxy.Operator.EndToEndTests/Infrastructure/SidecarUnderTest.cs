namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>One sidecar process on its own loopback address, as the pod of that IP; restartable with the same ports and state.</summary>
public sealed class SidecarUnderTest(string podName, IPAddress ip, string tokenFile, string stateDirectory, Func<Uri> operatorUrl, string caFile) : IDisposable
{
    private readonly HttpClient _admin = new() { Timeout = TimeSpan.FromSeconds(5) };

    public string PodName => podName;

    public IPAddress Ip => ip;

    public int PlainPort { get; } = Ports.Free(ip);

    public int TlsPort { get; } = Ports.Free(ip);

    public int AdminPort { get; } = Ports.Free(ip);

    public string TokenFile => tokenFile;

    public ServiceProcess? Process { get; private set; }

    public Uri PlainUrl(string path) => new($"ws://{ip}:{PlainPort}{path}");

    public void Start()
    {
        Process?.Dispose();
        Process = ServiceProcess.StartSidecar(
        [
            "--operator", operatorUrl().ToString(),
            "--token-file", tokenFile,
            "--operator-ca", caFile,
            "--state-dir", stateDirectory,
            "--listen", $"{ip}:{PlainPort}",
            "--listen-tls", $"{ip}:{TlsPort}",
            "--admin", $"{ip}:{AdminPort}",
            "--shutdown-timeout", "2s",
        ]);
    }

    /// <summary>GET /readyz: 200 once a document is active.</summary>
    public async Task<HttpStatusCode> ReadyAsync()
    {
        try
        {
            return (await _admin.GetAsync(new Uri($"http://{ip}:{AdminPort}/readyz"))).StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>GET /v1/config: the active revision and routes, as JSON.</summary>
    public async Task<System.Text.Json.JsonElement> ConfigAsync() =>
        System.Text.Json.JsonDocument.Parse(await _admin.GetStringAsync(new Uri($"http://{ip}:{AdminPort}/v1/config"))).RootElement;

    public async Task<IReadOnlyList<string>> RoutesAsync()
    {
        try
        {
            var config = await ConfigAsync();
            return [.. config.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("route").GetString()!)];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        Process?.Dispose();
        _admin.Dispose();
    }
}
