using K8sWsProxy.Bench.Harness;

namespace K8sWsProxy.Bench.Systems;

/// <summary>nginx from the Debian package: one worker, pinned; reload is `nginx -s reload` on a rewritten config.</summary>
internal sealed class Nginx(SystemSettings s) : PackagedProxy(s)
{
    public override string Name => "nginx";

    protected override string ConfigFile => "nginx.conf";

    protected override string ReloadRouteTemplate => "nginx-extra-location.conf.tmpl";

    protected override Dictionary<string, string> Limits() => new()
    {
        ["NOFILE"] = S(Settings.OpenFiles),
        ["WORKER_CONNECTIONS"] = S(Settings.OpenFiles - 50),
    };

    protected override string[] CommandLine() => ["nginx", "-p", Prefix, "-c", ConfigPath];

    protected override async Task<bool> SignalReloadAsync(ManagedProcess master, HashSet<int> workersBefore, CancellationToken cancel)
    {
        var reload = ManagedProcess.Start("nginx -s reload", "nginx", [.. CommandLine()[1..], "-s", "reload"], Path.Combine(Prefix, "reload.log"));
        await reload.WaitForExitAsync(TimeSpan.FromSeconds(5));
        return await NewWorkerAsync(master, workersBefore, TimeSpan.FromSeconds(5), cancel);
    }
}
