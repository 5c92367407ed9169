using System.Text.Json;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Systems;

/// <summary>The echo upstream every system proxies to; runs for the whole benchmark, on the client's cores.</summary>
internal static class Upstream
{
    public static async Task<ManagedProcess> StartAsync(SystemSettings s)
    {
        var p = ManagedProcess.Start("echo upstream", "dotnet", [s.EchoDll, "--listen", $"127.0.0.1:{s.UpstreamPort}", "--name", "bench-upstream"],
            Path.Combine(s.WorkDirectory, "upstream.log"));
        await p.WaitForLineAsync(l => l.Contains("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return p;
    }
}

/// <summary>No proxy: the client talks to the echo upstream itself. The physical limit of this machine and upstream.</summary>
internal sealed class Direct(SystemSettings s) : SystemUnderTest(s)
{
    public override string Name => "direct";

    public override Target Target => Target.Loopback(Settings.UpstreamPort);

    public override ManagedProcess? Process => null;

    public override bool CanReload => false;

    public override Task StartAsync(CancellationToken cancel) => Task.CompletedTask;

    public override Task<bool> ReloadAsync(int n, CancellationToken cancel) => Task.FromResult(false);
}

/// <summary>Our sidecar, standalone, from a rendered document; reloads are edits of that file (it polls it).</summary>
/// <param name="tls">Clients connect to its TLS listener (a self-signed certificate made for the run) instead of the plain one.</param>
internal sealed class Sidecar(SystemSettings s, bool frameTracking = true, bool tls = false) : SystemUnderTest(s)
{
    private readonly int port = FreePort();
    private readonly int tlsPort = FreePort();
    private readonly int admin = FreePort();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private ManagedProcess? process;
    private string configPath = "";

    public override string Name => tls ? "sidecar, TLS" : frameTracking ? "sidecar" : "sidecar, tracking off";

    public override Target Target => tls ? Target.Loopback(tlsPort) with { Tls = true } : Target.Loopback(port);

    public override ManagedProcess? Process => process;

    /// <summary>What /metrics answered at start: whether the Prometheus export is there to be priced.</summary>
    public string MetricsStatus { get; private set; } = "unknown";

    private string tlsSection = "";

    private Dictionary<string, string> Values(string extra) =>
        new() { ["UPSTREAM_PORT"] = S(Settings.UpstreamPort), ["EXTRA_ROUTES"] = extra, ["TLS"] = tlsSection };

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

/// <summary>nginx from the Debian package: one worker, pinned; reload is `nginx -s reload` on a rewritten config.</summary>
internal sealed class Nginx(SystemSettings s) : SystemUnderTest(s)
{
    private readonly int port = FreePort();
    private ManagedProcess? process;
    private string prefix = "";

    public override string Name => "nginx";

    public override Target Target => Target.Loopback(port);

    public override ManagedProcess? Process => process;

    private string Config(string extra) => Templates.Render(Templates.Load("nginx.conf.tmpl"), new Dictionary<string, string>
    {
        ["PREFIX"] = prefix,
        ["PORT"] = S(port),
        ["UPSTREAM_PORT"] = S(Settings.UpstreamPort),
        ["EXTRA_LOCATIONS"] = extra,
        ["NOFILE"] = S(Settings.OpenFiles),
        ["WORKER_CONNECTIONS"] = S(Settings.OpenFiles - 50),
    });

    public override async Task StartAsync(CancellationToken cancel)
    {
        prefix = Dir($"nginx-{port}");
        Templates.WriteAtomically(Path.Combine(prefix, "nginx.conf"), Config(""));
        process = ManagedProcess.Start("nginx", "taskset", Pinned(Settings.ProxyCpus, "nginx", "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf")),
            Path.Combine(prefix, "stdout.log"));
        await WaitForPortAsync(port, process, TimeSpan.FromSeconds(10), cancel);
    }

    public override async Task<bool> ReloadAsync(int n, CancellationToken cancel)
    {
        var workersBefore = ProcFs.Tree(process!.Pid).Skip(1).ToHashSet();
        Templates.WriteAtomically(Path.Combine(prefix, "nginx.conf"),
            Config(Templates.Render(Templates.Load("nginx-extra-location.conf.tmpl"), new Dictionary<string, string> { ["N"] = S(n) })));
        var reload = ManagedProcess.Start("nginx -s reload", "nginx", ["-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-s", "reload"],
            Path.Combine(prefix, "reload.log"));
        await reload.WaitForExitAsync(TimeSpan.FromSeconds(5));

        // Reloaded when a worker that was not there before is running.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until)
        {
            if (ProcFs.Tree(process.Pid).Skip(1).Any(p => !workersBefore.Contains(p)))
            {
                return true;
            }

            await Task.Delay(10, cancel);
        }

        return false;
    }
}

/// <summary>haproxy from the Debian package: master-worker, one thread, pinned; reload is SIGUSR2 to the master.</summary>
internal sealed class Haproxy(SystemSettings s) : SystemUnderTest(s)
{
    private readonly int port = FreePort();
    private ManagedProcess? process;
    private string dir = "";

    public override string Name => "haproxy";

    public override Target Target => Target.Loopback(port);

    public override ManagedProcess? Process => process;

    private string Config(string extra) => Templates.Render(Templates.Load("haproxy.cfg.tmpl"), new Dictionary<string, string>
    {
        ["PREFIX"] = dir,
        ["PORT"] = S(port),
        ["UPSTREAM_PORT"] = S(Settings.UpstreamPort),
        ["EXTRA_ACLS"] = extra,
        ["MAXCONN"] = S((Settings.OpenFiles - 100) / 2),
    });

    public override async Task StartAsync(CancellationToken cancel)
    {
        dir = Dir($"haproxy-{port}");
        Templates.WriteAtomically(Path.Combine(dir, "haproxy.cfg"), Config(""));
        process = ManagedProcess.Start("haproxy", "taskset", Pinned(Settings.ProxyCpus, "haproxy", "-W", "-db", "-f", Path.Combine(dir, "haproxy.cfg")),
            Path.Combine(dir, "haproxy.log"));
        await WaitForPortAsync(port, process, TimeSpan.FromSeconds(10), cancel);
    }

    public override async Task<bool> ReloadAsync(int n, CancellationToken cancel)
    {
        var workersBefore = ProcFs.Tree(process!.Pid).Skip(1).ToHashSet();
        Templates.WriteAtomically(Path.Combine(dir, "haproxy.cfg"),
            Config(Templates.Render(Templates.Load("haproxy-extra-acl.cfg.tmpl"), new Dictionary<string, string> { ["N"] = S(n) })));
        // A SIGUSR2 that lands while the master is still re-executing from the previous one can go unseen: resend after 1 s.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            process.Signal(Signals.Usr2);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < until)
            {
                if (ProcFs.Tree(process.Pid).Skip(1).Any(p => !workersBefore.Contains(p)))
                {
                    return true;
                }

                await Task.Delay(10, cancel);
            }
        }

        return false;
    }
}
