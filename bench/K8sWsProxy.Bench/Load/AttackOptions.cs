using System.CommandLine;
using System.Globalization;
using K8sWsProxy.Bench.Report;
using K8sWsProxy.Contracts.Hosting;

namespace K8sWsProxy.Bench.Load;

/// <summary>
/// The command line of `K8sWsProxy.Bench attack`: one hostile client (or group) of the hostile scenario, run by
/// <see cref="AttackerProcess"/> in a process of its own.
/// </summary>
internal sealed record AttackOptions
{
    /// <summary>The attacks by their command-line names.</summary>
    public static readonly IReadOnlyDictionary<string, string> Kinds = new Dictionary<string, string>
    {
        ["ping-flood"] = HostileReport.PingFlood,
        ["fragment-flood"] = HostileReport.FragmentFlood,
        ["slowloris"] = HostileReport.Slowloris,
        ["half-open"] = HostileReport.HalfOpen,
        ["oversized"] = HostileReport.Oversized,
    };

    /// <summary>One of <see cref="HostileReport.Attacks"/>.</summary>
    public required string Attack { get; init; }

    /// <summary>The attack's command-line name.</summary>
    public string Kind => Kinds.Single(k => k.Value == Attack).Key;

    public required int Port { get; init; }

    public required string Path { get; init; }

    /// <summary>Connections (slowloris, half-open) or requests (oversized headers); floods use one connection.</summary>
    public required int Count { get; init; }

    /// <summary>How long a flood runs, slowloris and half-open connections are watched, or an oversized request waits for its answer.</summary>
    public required TimeSpan Time { get; init; }

    /// <summary>The proxy's processes, whose open descriptors tell how many half-open connections it accepted.</summary>
    public IReadOnlyList<int> ProxyPids { get; init; } = [];

    private static readonly Option<string?> KindOption = ProgramOptions.Text("--kind", "NAME", $"the attack: {string.Join(", ", Kinds.Keys)}");

    private static readonly Option<int?> PortOption = ProgramOptions.Declare<int?>(
        "--port", "PORT", "the proxy's port on 127.0.0.1", null,
        text => int.TryParse(text, out var port) && port is > 0 and < 65536 ? (port, null) : (null, $"'{text}' is not a port"));

    private static readonly Option<string?> PathOption = ProgramOptions.Text("--path", "PATH", "the WebSocket route's path (default /echo)");

    private static readonly Option<int?> CountOption = ProgramOptions.Declare<int?>(
        "--count", "N", "connections or requests (default 1)", null,
        text => int.TryParse(text, out var n) && n is > 0 and <= 100_000 ? (n, null) : (null, $"'{text}' is not a count from 1 to 100000"));

    private static readonly Option<double?> SecondsOption = ProgramOptions.Declare<double?>(
        "--seconds", "S", "how long a flood runs, connections are watched or a request waits (default 10)", null,
        text => double.TryParse(text, CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 600 ? (s, null) : (null, $"'{text}' is not a number of seconds up to 600"));

    private static readonly Option<IReadOnlyList<int>?> PidsOption = ProgramOptions.Declare<IReadOnlyList<int>?>(
        "--pids", "PID[,PID...]", "the proxy's processes (half-open: their descriptors count what was accepted)", null,
        text => text.Split(',').All(p => int.TryParse(p, out var pid) && pid > 0) ? ([.. text.Split(',').Select(int.Parse)], null) : (null, $"'{text}' is not a list of pids"));

    private static readonly RootCommand Command = ProgramOptions.Command(KindOption, PortOption, PathOption, CountOption, SecondsOption, PidsOption);

    public static string Usage => ProgramOptions.Usage(Command, "K8sWsProxy.Bench attack [options]");

    /// <exception cref="ArgumentException">Every problem with the command line, each with its option.</exception>
    public static AttackOptions Parse(IReadOnlyList<string> args)
    {
        var (result, errors) = ProgramOptions.Parse(Command, args);
        var kind = result.ValueOf(KindOption);
        if (kind is null || !Kinds.ContainsKey(kind))
        {
            errors.Add($"--kind: one of {string.Join(", ", Kinds.Keys)}");
        }

        if (result.ValueOf(PortOption) is null)
        {
            errors.Add("--port: required");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("\n", errors) + "\n" + Usage);
        }

        return new AttackOptions
        {
            Attack = Kinds[kind!],
            Port = result.ValueOf(PortOption)!.Value,
            Path = result.ValueOf(PathOption) ?? "/echo",
            Count = result.ValueOf(CountOption) ?? 1,
            Time = TimeSpan.FromSeconds(result.ValueOf(SecondsOption) ?? 10),
            ProxyPids = result.ValueOf(PidsOption) ?? [],
        };
    }

    /// <summary>The command line that <see cref="Parse"/> reads back as these options.</summary>
    public IEnumerable<string> ToArguments()
    {
        yield return "--kind";
        yield return Kind;
        yield return "--port";
        yield return Port.ToString(CultureInfo.InvariantCulture);
        yield return "--path";
        yield return Path;
        yield return "--count";
        yield return Count.ToString(CultureInfo.InvariantCulture);
        yield return "--seconds";
        yield return Time.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        if (ProxyPids.Count > 0)
        {
            yield return "--pids";
            yield return string.Join(',', ProxyPids);
        }
    }
}
