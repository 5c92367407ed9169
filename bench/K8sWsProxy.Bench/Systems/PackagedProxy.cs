using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Systems;

/// <summary>
/// A proxy from a Debian package (nginx, haproxy), run pinned from a config rendered from its template; a reload adds
/// one route to the file, tells the master, and is taken when the master runs a new worker.
/// </summary>
internal abstract class PackagedProxy(SystemSettings settings) : SystemUnderTest(settings)
{
    private readonly int port = Ports.Free();
    private ManagedProcess? process;

    public override Target Target => Target.Loopback(port);

    public override ManagedProcess? Process => process;

    /// <summary>The folder of its config, pid and log files.</summary>
    protected string Prefix => Path.Combine(Settings.WorkDirectory, $"{Name}-{port}");

    /// <summary>The config file's name; its template is this name plus ".tmpl".</summary>
    protected abstract string ConfigFile { get; }

    /// <summary>The template of reload number N's route, rendered into the config's {{EXTRA}}.</summary>
    protected abstract string ReloadRouteTemplate { get; }

    protected string ConfigPath => Path.Combine(Prefix, ConfigFile);

    /// <summary>The template's values beyond PREFIX, PORT, UPSTREAM_PORT and EXTRA: the proxy's own limits.</summary>
    protected abstract Dictionary<string, string> Limits();

    /// <summary>The proxy's command line (run under taskset).</summary>
    protected abstract string[] CommandLine();

    /// <summary>Makes the master read the rewritten config; true once it runs a worker not in <paramref name="workersBefore"/>.</summary>
    protected abstract Task<bool> SignalReloadAsync(ManagedProcess master, HashSet<int> workersBefore, CancellationToken cancel);

    /// <summary>The config as started (<paramref name="reload"/> null) or after reload number <paramref name="reload"/>.</summary>
    public string Config(int? reload)
    {
        var values = Limits();
        values["PREFIX"] = Prefix;
        values["PORT"] = S(port);
        values["UPSTREAM_PORT"] = S(Settings.UpstreamPort);
        values["EXTRA"] = reload is { } n ? Templates.Render(Templates.Load(ReloadRouteTemplate), new Dictionary<string, string> { ["N"] = S(n) }) : "";
        return Templates.Render(Templates.Load(ConfigFile + ".tmpl"), values);
    }

    public override async Task StartAsync(CancellationToken cancel)
    {
        Directory.CreateDirectory(Prefix);
        Templates.WriteAtomically(ConfigPath, Config(null));
        process = ManagedProcess.Start(Name, "taskset", ["-c", Settings.ProxyCpus, .. CommandLine()], Path.Combine(Prefix, $"{Name}.log"));
        await WaitForPortAsync(port, process, TimeSpan.FromSeconds(10), cancel);
    }

    public override async Task<bool> ReloadAsync(int n, CancellationToken cancel)
    {
        var master = process!;
        var workersBefore = Workers(master);
        Templates.WriteAtomically(ConfigPath, Config(n));
        return await SignalReloadAsync(master, workersBefore, cancel);
    }
}
