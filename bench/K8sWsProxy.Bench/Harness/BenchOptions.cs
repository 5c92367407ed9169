using System.CommandLine;
using K8sWsProxy.Contracts.Hosting;

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

    private static readonly Option<bool> QuickOption = new("--quick") { Description = "the shorter plan (bench/results/quick.md)", Arity = ArgumentArity.Zero };

    private static readonly Option<string?> RepoOption = ProgramOptions.Text("--repo", "DIR", "the checkout to measure (default: this one)");

    private static readonly Option<string?> OutOption = ProgramOptions.Text("--out", "DIR", "where the report goes (default bench/results)");

    private static readonly Option<IReadOnlyList<string>?> SystemsOption = ProgramOptions.Declare<IReadOnlyList<string>?>(
        "--systems", "NAME[,NAME...]", "which systems, in order (default direct,sidecar,nginx,haproxy)", null, text => Known(text, AllSystems));

    private static readonly Option<IReadOnlyList<string>?> ScenariosOption = ProgramOptions.Declare<IReadOnlyList<string>?>(
        "--scenarios", "NAME[,NAME...]", "which scenarios (default all)", null,
        text => Known(text, ["all", "throughput", "latency", "handshakes", "idle", "reload", "tracking", "messages", "propagation", "scale", "hostile"]));

    private static readonly Option<string?> ProxyCpusOption = ProgramOptions.Text("--proxy-cpus", "CPUS", "the CPUs each proxy is pinned to (default 1)");

    private static readonly Option<IReadOnlyList<int>?> PropagationSidecarsOption = ProgramOptions.Declare<IReadOnlyList<int>?>(
        "--propagation-sidecars", "N[,N...]", "cluster sizes for the propagation scenario", null,
        text => text.Split(',').All(n => int.TryParse(n, out var count) && count > 0) ? ([.. text.Split(',').Select(int.Parse)], null) : (null, $"'{text}' is not a list of counts"));

    private static readonly Option<int?> RoundsOption = ProgramOptions.Declare<int?>(
        "--rounds", "N", "rounds per scenario instead of the plan's", null,
        text => int.TryParse(text, out var rounds) && rounds > 0 ? (rounds, null) : (null, $"'{text}' is not a positive number"));

    // Repeatable; their values may look like options (--sidecar-arg --frame-tracking --sidecar-arg off).
    private static readonly Option<string[]> SidecarEnvOption = new("--sidecar-env") { HelpName = "NAME=VALUE", Description = "for experiments: an environment variable for our sidecar (repeatable)" };

    private static readonly Option<string[]> SidecarArgOption = new("--sidecar-arg") { HelpName = "ARG", Description = "for experiments: an argument for our sidecar (repeatable)" };

    private static readonly RootCommand Command = ProgramOptions.Command(
        QuickOption, RepoOption, OutOption, SystemsOption, ScenariosOption, ProxyCpusOption, PropagationSidecarsOption, RoundsOption, SidecarEnvOption, SidecarArgOption);

    public static string Usage => ProgramOptions.Usage(Command, "K8sWsProxy.Bench [playground | options]");

    /// <exception cref="ArgumentException">Every problem with the command line, each with its option.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var (result, errors) = ProgramOptions.Parse(Command, args);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("\n", errors) + "\n" + Usage);
        }

        var defaults = new BenchOptions();
        var repo = result.ValueOf(RepoOption) is { } r ? Path.GetFullPath(r) : defaults.Repo;
        return defaults with
        {
            Quick = result.ValueOf(QuickOption),
            Repo = repo,
            Out = result.ValueOf(OutOption) is { } o ? Path.GetFullPath(o) : Path.Combine(repo, "bench", "results"),
            Systems = result.ValueOf(SystemsOption) ?? defaults.Systems,
            Scenarios = result.ValueOf(ScenariosOption)?.ToHashSet() ?? defaults.Scenarios,
            ProxyCpus = result.ValueOf(ProxyCpusOption) ?? defaults.ProxyCpus,
            PropagationSidecars = result.ValueOf(PropagationSidecarsOption),
            Rounds = result.ValueOf(RoundsOption),
            SidecarEnv = result.ValueOf(SidecarEnvOption) ?? [],
            SidecarArgs = result.ValueOf(SidecarArgOption) ?? [],
        };
    }

    private static (IReadOnlyList<string>? Value, string? Problem) Known(string text, IReadOnlyList<string> known)
    {
        try
        {
            return (Split(text, known), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>Comma-separated names, each one of <paramref name="known"/>, in the order given.</summary>
    public static IReadOnlyList<string> Split(string value, IReadOnlyList<string> known)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(n => !known.Contains(n)).ToList();
        return unknown.Count > 0 ? throw new ArgumentException($"unknown: {string.Join(", ", unknown)} (known: {string.Join(", ", known)})") : names;
    }
}
