using K8sWsProxy.Bench.Harness;

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
