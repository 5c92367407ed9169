namespace K8sWsProxy.Testing;

/// <summary>
/// Runs the real kubectl (.tools/bin/kubectl from `make deps`, else the one on PATH) against one API server, with its
/// own HOME and cache folder so no discovery cache leaks between tests. Every run is bounded in time; every
/// background kubectl is killed, with its children, on dispose.
/// </summary>
public sealed class Kubectl(string kubeconfig) : IDisposable
{
    private static readonly Lazy<string> Binary = new(() => RepositoryPaths.Tool("kubectl"));
    private readonly string _home = Directory.CreateTempSubdirectory("kubectl-home-").FullName;
    private readonly List<ChildProcess> _background = [];

    public Task<CommandResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<CommandResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var kubectl = Launch(stdin, args);
        return await CommandResult.OfAsync(kubectl, TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts a long-running kubectl (get -w, wait, a blocking delete); it is killed on dispose if still running.</summary>
    public ChildProcess Start(params string[] args)
    {
        var kubectl = Launch(null, args);
        _background.Add(kubectl);
        return kubectl;
    }

    public void Dispose()
    {
        foreach (var kubectl in _background)
        {
            kubectl.Dispose();
        }

        Directory.Delete(_home, recursive: true);
    }

    // Its input is closed at once (or after the text for `apply -f -`): kubectl never waits on the test's terminal.
    private ChildProcess Launch(string? stdin, string[] args) => ChildProcess.Start(
        Binary.Value,
        ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(_home, "cache"), .. args],
        environment: new Dictionary<string, string> { ["HOME"] = _home, ["KUBECONFIG"] = kubeconfig },
        stdin: stdin ?? "");
}
