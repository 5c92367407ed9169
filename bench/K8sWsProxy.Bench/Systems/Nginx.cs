using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Systems;

/// <summary>nginx from the Debian package: one worker, pinned; reload is `nginx -s reload` on a rewritten config.</summary>
internal sealed class Nginx(SystemSettings s) : SystemUnderTest(s)
{
    private readonly int port = Ports.Free();
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
        var master = process!;
        var workersBefore = Workers(master);
        Templates.WriteAtomically(Path.Combine(prefix, "nginx.conf"),
            Config(Templates.Render(Templates.Load("nginx-extra-location.conf.tmpl"), new Dictionary<string, string> { ["N"] = S(n) })));
        var reload = ManagedProcess.Start("nginx -s reload", "nginx", ["-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-s", "reload"],
            Path.Combine(prefix, "reload.log"));
        await reload.WaitForExitAsync(TimeSpan.FromSeconds(5));
        return await NewWorkerAsync(master, workersBefore, TimeSpan.FromSeconds(5), cancel);
    }
}
