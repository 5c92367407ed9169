using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;

namespace K8sWsProxy.Bench.Systems;

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
