using System.CommandLine;
using K8sWsProxy.Contracts.Hosting;

namespace K8sWsProxy.Bench.Soak;

/// <summary>The command line of `K8sWsProxy.Bench soak`.</summary>
internal sealed record SoakOptions
{
    public double Minutes { get; init; } = 30;

    public int Connections { get; init; } = 3000;

    public int Sidecars { get; init; } = 2;

    public string Repo { get; init; } = K8sWsProxy.Testing.RepositoryPaths.Root;

    public string Out { get; init; } = "";

    /// <summary>Every 10 s, every 5 s in runs under 10 minutes (enough samples per third for the growth rule).</summary>
    public TimeSpan SampleInterval => TimeSpan.FromSeconds(Minutes < 10 ? 5 : 10);

    /// <summary>The churn route's upstream restarts every 3 minutes, more often in short runs (at least 4 restarts, at most every 30 s).</summary>
    public TimeSpan RestartInterval => TimeSpan.FromSeconds(Math.Clamp(Minutes * 60 / 4, 30, 180));

    private static readonly Option<double?> MinutesOption = ProgramOptions.Declare<double?>(
        "--minutes", "N", "how long the connections are held (default 30)", null,
        text => double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var m) && m is >= 0.5 and <= 24 * 60 ? (m, null) : (null, $"'{text}' is not a number of minutes from 0.5 to 1440"));

    private static readonly Option<int?> ConnectionsOption = ProgramOptions.Declare<int?>(
        "--connections", "N", "connections held, over all routes and sidecars (default 3000)", null,
        text => int.TryParse(text, out var n) && n is >= 20 and <= 20_000 ? (n, null) : (null, $"'{text}' is not a count from 20 to 20000"));

    private static readonly Option<int?> SidecarsOption = ProgramOptions.Declare<int?>(
        "--sidecars", "N", "sidecar processes (default 2)", null,
        text => int.TryParse(text, out var n) && n is >= 1 and <= 8 ? (n, null) : (null, $"'{text}' is not a count from 1 to 8"));

    private static readonly Option<string?> OutOption = ProgramOptions.Text("--out", "DIR", "where soak.md and charts-soak/ go (default bench/results)");

    private static readonly RootCommand Command = ProgramOptions.Command(MinutesOption, ConnectionsOption, SidecarsOption, OutOption);

    public static string Usage => ProgramOptions.Usage(Command, "K8sWsProxy.Bench soak [options]");

    /// <exception cref="ArgumentException">Every problem with the command line, each with its option.</exception>
    public static SoakOptions Parse(IReadOnlyList<string> args)
    {
        var (result, errors) = ProgramOptions.Parse(Command, args);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("\n", errors) + "\n" + Usage);
        }

        var defaults = new SoakOptions();
        return defaults with
        {
            Minutes = result.ValueOf(MinutesOption) ?? defaults.Minutes,
            Connections = result.ValueOf(ConnectionsOption) ?? defaults.Connections,
            Sidecars = result.ValueOf(SidecarsOption) ?? defaults.Sidecars,
            Out = result.ValueOf(OutOption) is { } o ? Path.GetFullPath(o) : Path.Combine(defaults.Repo, "bench", "results"),
        };
    }
}
