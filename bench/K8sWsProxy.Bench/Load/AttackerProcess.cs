using System.Text.Json;
using System.Text.Json.Serialization;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Report;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Load;

/// <summary>
/// Runs an attack of the hostile scenario in a process of its own, at the scheduler's idle priority (SCHED_IDLE), on
/// the harness's core. Inside the harness, the attackers' own work (10,000 connections opened within a second, their
/// watchers, then 10,000 sockets closed at once) queued with the well-behaved client's receives and stalled them for
/// 60-150 ms at those two moments, through haproxy and our sidecar alike: the figures measured the harness. At idle
/// priority the attacker gets whatever the well-behaved client and the upstream leave of the core, as an attacker on
/// another machine would, so what the well-behaved connections still suffer is the proxy's doing.
/// </summary>
internal static class AttackerProcess
{
    private const string OutcomePrefix = "outcome ";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Starts the attacker and returns its outcome once it has printed it.</summary>
    /// <exception cref="IOException">The attacker ended or hung without an outcome (its log says why).</exception>
    public static async Task<AttackOutcome> RunAsync(AttackOptions options, string logPath, CancellationToken cancel)
    {
        var p = ManagedProcess.Start("attacker", "chrt",
            ["--idle", "0", "dotnet", typeof(AttackerProcess).Assembly.Location, "attack", .. options.ToArguments()], logPath);
        try
        {
            var line = await p.WaitForLineAsync(l => l.StartsWith(OutcomePrefix, StringComparison.Ordinal), options.Time + TimeSpan.FromMinutes(1)).WaitAsync(cancel);
            return JsonSerializer.Deserialize<AttackOutcome>(line[OutcomePrefix.Length..], Json) ?? throw new IOException($"the attacker printed no outcome ({logPath})");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or JsonException)
        {
            throw new IOException($"the attacker gave no outcome ({logPath}): {e.Message}", e);
        }
        finally
        {
            await p.StopAsync();
        }
    }

    /// <summary>`K8sWsProxy.Bench attack`: runs the attack and prints its outcome on one line.</summary>
    public static async Task<int> MainAsync(AttackOptions o, CancellationToken cancel)
    {
        var target = Target.Loopback(o.Port, o.Path);
        var sources = new SourceAddresses(32);
        var outcome = o.Attack switch
        {
            HostileReport.PingFlood => await Attacks.PingFloodAsync(target, sources, o.Time, 100_000_000, cancel),
            HostileReport.FragmentFlood => await Attacks.FragmentFloodAsync(target, sources, o.Time, 100_000_000, cancel),
            HostileReport.Slowloris => await Attacks.SlowlorisAsync(target, sources, o.Count, o.Time, cancel),
            HostileReport.HalfOpen => await Attacks.HalfOpenAsync(target, sources, o.Count, o.Time, () => o.ProxyPids.Sum(ProcFs.OpenFiles), cancel),
            HostileReport.Oversized => await Attacks.OversizedHeadersAsync(target, sources, o.Count, 64 * 1024, o.Time, cancel),
            _ => throw new ArgumentException($"unknown attack: {o.Attack}"),
        };
        Console.WriteLine(OutcomePrefix + JsonSerializer.Serialize(outcome, Json));
        return 0;
    }
}
