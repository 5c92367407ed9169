namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>The shipped sidecar executable as a real process, with its "ready …" line parsed.</summary>
public sealed class SidecarProcess : IDisposable
{
    private readonly ChildProcess _process;

    private SidecarProcess(ChildProcess process) => _process = process;

    public int Id => _process.Id;

    public string Stdout => _process.Stdout;

    public string Stderr => _process.Stderr;

    /// <summary>The "ready plain=… tls=… admin=…" line, parsed.</summary>
    public IReadOnlyDictionary<string, string> Ready { get; private set; } = new Dictionary<string, string>();

    public static SidecarProcess Start(params string[] args) =>
        new(ChildProcess.Start(RepositoryPaths.SidecarExecutable, args));

    public async Task WaitReadyAsync()
    {
        var line = await _process.LineAsync("ready ", TimeSpan.FromSeconds(30));
        Ready = line.Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>SIGTERM, as Kubernetes stops a container.</summary>
    public void Terminate() => _process.Signal(15);

    /// <summary>SIGKILL at once (no look for children first): a crash, no goodbye; returns once it is gone.</summary>
    public void Kill()
    {
        _process.Signal(9);
        _process.Kill();
    }

    public bool HasExited => _process.HasExited;

    public void Dispose() => _process.Dispose();
}
