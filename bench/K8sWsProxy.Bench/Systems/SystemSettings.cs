namespace K8sWsProxy.Bench.Systems;

/// <summary>Where and how the systems run: paths, the core proxies are pinned to, the upstream they all share.</summary>
internal sealed record SystemSettings(string RepoRoot, string WorkDirectory, string ProxyCpus, int UpstreamPort, int OpenFiles)
{
    /// <summary>Experiments only: NAME=VALUE environment entries and extra command-line arguments for our sidecar.</summary>
    public IReadOnlyList<string> SidecarEnv { get; init; } = [];

    public IReadOnlyList<string> SidecarArgs { get; init; } = [];

    /// <summary>The sidecar as it ships: the Native AOT executable `make build` publishes.</summary>
    public string SidecarExecutable => Path.Combine(RepoRoot, ".build/sidecar/K8sWsProxy.Sidecar");

    // The operator, the emulator and the echo upstream are project references, built into the harness's own folder.
    public string OperatorDll => Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.Operator.dll");

    public string EmulatorDll => Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.KubeEmulator.dll");

    public string EchoDll => Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.EchoServer.dll");
}
