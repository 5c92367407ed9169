using K8sWsProxy.Bench.Harness;

namespace K8sWsProxy.Bench.Systems;

/// <summary>The echo upstream every system proxies to; runs for the whole benchmark, on the client's cores.</summary>
internal static class Upstream
{
    /// <param name="name">Its name in logs and its log file (NAME.log): the soak runs two.</param>
    public static async Task<ManagedProcess> StartAsync(SystemSettings s, string name = "upstream")
    {
        var p = ManagedProcess.Start($"echo {name}", "dotnet", [s.EchoDll, "--listen", $"127.0.0.1:{s.UpstreamPort}", "--name", $"bench-{name}"],
            Path.Combine(s.WorkDirectory, $"{name}.log"));
        await p.WaitForLineAsync(l => l.Contains("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return p;
    }
}
