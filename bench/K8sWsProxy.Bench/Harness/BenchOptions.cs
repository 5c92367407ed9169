namespace K8sWsProxy.Bench.Harness;

/// <summary>The command line of the harness.</summary>
internal sealed record BenchOptions
{
    public static readonly string[] AllSystems = ["direct", "sidecar", "nginx", "haproxy"];

    public bool Quick { get; init; }

    public string Repo { get; init; } = K8sWsProxy.Testing.RepositoryPaths.Root;

    public string Out { get; init; } = "";

    public IReadOnlyList<string> Systems { get; init; } = AllSystems;

    public IReadOnlySet<string> Scenarios { get; init; } = new HashSet<string> { "all" };

    public string ProxyCpus { get; init; } = "1";

    public int? Rounds { get; init; }

    /// <summary>Cluster sizes for the propagation scenario, instead of the plan's.</summary>
    public IReadOnlyList<int>? PropagationSidecars { get; init; }

    /// <summary>For experiments: environment variables (NAME=VALUE) and extra arguments for our sidecar.</summary>
    public IReadOnlyList<string> SidecarEnv { get; init; } = [];

    public IReadOnlyList<string> SidecarArgs { get; init; } = [];

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]}: missing value");
            o = args[i] switch
            {
                "--quick" => o with { Quick = true },
                "--repo" => o with { Repo = Path.GetFullPath(Value()) },
                "--out" => o with { Out = Path.GetFullPath(Value()) },
                "--systems" => o with { Systems = Split(Value(), AllSystems) },
                "--scenarios" => o with { Scenarios = Split(Value(), ["all", "throughput", "latency", "handshakes", "idle", "reload", "tracking", "propagation"]).ToHashSet() },
                "--proxy-cpus" => o with { ProxyCpus = Value() },
                "--sidecar-env" => o with { SidecarEnv = [.. o.SidecarEnv, Value()] },
                "--sidecar-arg" => o with { SidecarArgs = [.. o.SidecarArgs, Value()] },
                "--propagation-sidecars" => o with { PropagationSidecars = [.. Value().Split(',').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))] },
                "--rounds" => o with { Rounds = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"{args[i]}: unknown option"),
            };
        }

        return o.Out == "" ? o with { Out = Path.Combine(o.Repo, "bench", "results") } : o;
    }

    /// <summary>Comma-separated names, each one of <paramref name="known"/>, in the order given.</summary>
    public static IReadOnlyList<string> Split(string value, IReadOnlyList<string> known)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(n => !known.Contains(n)).ToList();
        return unknown.Count > 0 ? throw new ArgumentException($"unknown: {string.Join(", ", unknown)} (known: {string.Join(", ", known)})") : names;
    }
}
