namespace K8sWsProxy.Testing;

/// <summary>
/// Runs the real helm (.tools/bin/helm from `make deps`) against one API server (none for lint and template), with
/// its own cache, config and data folders so no repository or plugin state leaks between tests. Every run is bounded
/// in time.
/// </summary>
public sealed class Helm(string? kubeconfig = null) : IDisposable
{
    private static readonly Lazy<string> Binary = new(() => RepositoryPaths.Tool("helm"));
    private readonly string _home = Directory.CreateTempSubdirectory("helm-home-").FullName;

    /// <summary>The chart in this repository.</summary>
    public static string Chart { get; } = Path.Combine(RepositoryPaths.Root, "charts", "k8s-ws-proxy");

    public async Task<CommandResult> RunAsync(params string[] args)
    {
        using var helm = ChildProcess.Start(Binary.Value, kubeconfig is null ? args : ["--kubeconfig", kubeconfig, .. args], environment: new Dictionary<string, string>
        {
            ["HOME"] = _home,
            ["HELM_CACHE_HOME"] = Path.Combine(_home, "cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(_home, "config"),
            ["HELM_DATA_HOME"] = Path.Combine(_home, "data"),
        });
        return await CommandResult.OfAsync(helm, TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs helm and fails the test with its output unless it exits 0.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        return result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException($"helm {string.Join(' ', args)}: {result}");
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
