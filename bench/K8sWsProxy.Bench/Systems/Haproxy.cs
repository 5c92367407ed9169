using K8sWsProxy.Bench.Harness;

namespace K8sWsProxy.Bench.Systems;

/// <summary>haproxy from the Debian package: master-worker, one thread, pinned; reload is SIGUSR2 to the master.</summary>
internal sealed class Haproxy(SystemSettings s) : PackagedProxy(s)
{
    public override string Name => "haproxy";

    protected override string ConfigFile => "haproxy.cfg";

    protected override string ReloadRouteTemplate => "haproxy-extra-acl.cfg.tmpl";

    protected override Dictionary<string, string> Limits() => new() { ["MAXCONN"] = S((Settings.OpenFiles - 100) / 2) };

    protected override string[] CommandLine() => ["haproxy", "-W", "-db", "-f", ConfigPath];

    protected override async Task<bool> SignalReloadAsync(ManagedProcess master, HashSet<int> workersBefore, CancellationToken cancel)
    {
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
