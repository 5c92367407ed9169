namespace K8sWsProxy.Testing;

/// <summary>Where things are in this checkout, found from the running assembly upwards (the folder holding the solution).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/peers: the non-.NET peers (node `ws`, python3-websockets).</summary>
    public static string Peers => Path.Combine(Root, "tests", "peers");

    /// <summary>
    /// The sidecar as it ships: the Native AOT executable `make build` publishes (tests run the process that runs in
    /// production, not the JIT build).
    /// </summary>
    public static string SidecarExecutable
    {
        get
        {
            var path = Path.Combine(Root, ".build", "sidecar", "K8sWsProxy.Sidecar");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: `make build` publishes it");
        }
    }

    /// <summary>A tool `make deps` installs into .tools/bin (kubectl, helm), else the one on PATH.</summary>
    public static string Tool(string name)
    {
        var local = Path.Combine(Root, ".tools", "bin", name);
        return File.Exists(local) ? local
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} not found: run `make deps` (it installs .tools/bin/{name})");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "K8sWsProxy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
