using System.Text.Json;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Systems;

/// <summary>Our sidecar, standalone, from a rendered document; reloads are edits of that file (it polls it).</summary>
/// <param name="tls">Clients connect to its TLS listener (a self-signed certificate made for the run) instead of the plain one.</param>
/// <param name="echoRoute">What the echo route gets besides what the template gives it (null: as shipped, relayed as bytes).</param>
internal sealed class Sidecar(SystemSettings s, bool frameTracking = true, bool tls = false, EchoRoute? echoRoute = null) : SystemUnderTest(s)
{
    private readonly int port = Ports.Free();
    private readonly int tlsPort = Ports.Free();
    private readonly int admin = Ports.Free();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private ManagedProcess? process;
    private string configPath = "";

    public override string Name => tls ? "sidecar, TLS" : !frameTracking ? "sidecar, tracking off" : echoRoute is { } r ? $"sidecar, {r.Name}" : "sidecar";

    public override Target Target => tls ? Target.Loopback(tlsPort) with { Tls = true } : Target.Loopback(port);

    public override ManagedProcess? Process => process;

    /// <summary>What /metrics answered at start: whether the Prometheus export is there to be priced.</summary>
    public string MetricsStatus { get; private set; } = "unknown";

    private string tlsSection = "";

    private Dictionary<string, string> Values(string extra) =>
        new()
        {
            ["UPSTREAM_PORT"] = S(Settings.UpstreamPort),
            ["ECHO_UPSTREAM"] = echoRoute?.Upstream ?? "",
            ["ECHO_ROUTE"] = echoRoute?.Route ?? "",
            ["EXTRA_ROUTES"] = extra,
            ["TLS"] = tlsSection,
        };

    public override async Task StartAsync(CancellationToken cancel)
    {
        var dir = Dir($"sidecar-{port}");
        configPath = Path.Combine(dir, "sidecar.yaml");
        if (tls)
        {
            tlsSection = SelfSigned(dir);
        }

        Templates.WriteAtomically(configPath, Templates.Render(Templates.Load("sidecar.yaml.tmpl"), Values("")));
        process = ManagedProcess.Start("sidecar", "taskset",
            Pinned(Settings.ProxyCpus, Settings.SidecarExecutable,
            [
                "--config", configPath, "--listen", $"127.0.0.1:{port}", "--admin", $"127.0.0.1:{admin}",
                .. tls ? new[] { "--listen-tls", $"127.0.0.1:{tlsPort}" } : [],
                "--shutdown-timeout", "2s", "--frame-tracking", frameTracking ? "on" : "off", .. Settings.SidecarArgs,
            ]),
            Path.Combine(dir, "sidecar.log"),
            Environment());
        await process.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        try
        {
            using var r = await http.GetAsync(new Uri($"http://127.0.0.1:{admin}/metrics"), cancel);
            MetricsStatus = r.IsSuccessStatusCode ? "exported at /metrics" : $"/metrics answers {(int)r.StatusCode}: no Prometheus export yet";
        }
        catch (HttpRequestException e)
        {
            MetricsStatus = $"/metrics unreachable: {e.Message}";
        }
    }

    private Dictionary<string, string> Environment()
    {
        // As shipped, YARP logs two Information lines per proxied connection; nginx runs with access_log off and haproxy without a log.
        var env = new Dictionary<string, string> { ["Logging__LogLevel__Yarp"] = "Warning" };
        foreach (var entry in Settings.SidecarEnv)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            env[entry[..eq]] = entry[(eq + 1)..];
        }

        return env;
    }

    /// <summary>An ECDSA P-256 certificate for localhost in <paramref name="dir"/>; the route's tls section that serves it.</summary>
    private static string SelfSigned(string dir)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var cert = Path.Combine(dir, "tls.crt");
        var keyFile = Path.Combine(dir, "tls.key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return $"    tls: {{certificateFile: \"{cert}\", privateKeyFile: \"{keyFile}\"}}";
    }

    private async Task<string?> RevisionAsync(CancellationToken cancel)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{admin}/v1/config"), cancel));
            return doc.RootElement.TryGetProperty("revision", out var r) ? r.ToString() : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            return null;
        }
    }

    public override async Task<bool> ReloadAsync(int n, CancellationToken cancel)
    {
        var before = await RevisionAsync(cancel);
        var extra = Templates.Render(Templates.Load("sidecar-extra-route.yaml.tmpl"),
            new Dictionary<string, string> { ["N"] = S(n), ["UPSTREAM_PORT"] = S(Settings.UpstreamPort) });
        Templates.WriteAtomically(configPath, Templates.Render(Templates.Load("sidecar.yaml.tmpl"), Values(extra)));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until)
        {
            var now = await RevisionAsync(cancel);
            if (now is not null && now != before)
            {
                return true;
            }

            await Task.Delay(25, cancel);
        }

        return false;
    }

    public override async Task<string> SettleMemoryAsync()
    {
        if (process is null)
        {
            return "";
        }

        var ok = await DiagnosticsIpc.ForceGcAsync(process.Pid, TimeSpan.FromSeconds(1));
        await Task.Delay(1000);
        return ok ? "full GC forced through the diagnostics socket" : "full GC could not be forced (no diagnostics socket)";
    }
}

/// <summary>
/// YAML the messages scenario adds to the echo route of <c>sidecar.yaml.tmpl</c>: lines under its upstream and under
/// the route, indented to fit; <see cref="Name"/> goes into the system's name.
/// </summary>
internal sealed record EchoRoute(string Name, string Upstream, string Route)
{
    /// <summary>One rule, seeing every text message both ways and matching none: what a rule costs per message.</summary>
    public static readonly EchoRoute OneRule = new("one rule", "",
        """    messages: {rules: [{name: probe, direction: Both, match: {exact: "__never__"}, action: Drop}]}""");

    /// <summary>Failover and no rule: what the message stage itself costs.</summary>
    public static readonly EchoRoute Reconnect = new("onLost: Reconnect", "      onLost: Reconnect", "");
}
