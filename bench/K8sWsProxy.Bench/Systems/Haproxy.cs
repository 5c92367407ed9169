using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Systems;

/// <summary>haproxy from the Debian package: master-worker, one thread, pinned; reload is SIGUSR2 to the master.</summary>
internal sealed class Haproxy(SystemSettings s) : SystemUnderTest(s)
{
    private readonly int port = Ports.Free();
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
        var master = process!;
        var workersBefore = Workers(master);
        Templates.WriteAtomically(Path.Combine(dir, "haproxy.cfg"),
            Config(Templates.Render(Templates.Load("haproxy-extra-acl.cfg.tmpl"), new Dictionary<string, string> { ["N"] = S(n) })));
        // A SIGUSR2 that lands while the master is still re-executing from the previous one can go unseen: resend after 1 s.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            master.Signal(Signals.Usr2);
            if (await NewWorkerAsync(master, workersBefore, TimeSpan.FromSeconds(1), cancel))
            {
                return true;
            }
        }

        return false;
    }
}
