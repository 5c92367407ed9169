using System.Globalization;

namespace K8sWsProxy.Bench.Harness;

/// <summary>How long and how much: the full plan (`make bench`) or the quick one (`make bench-quick`).</summary>
internal sealed record Plan
{
    public required string Name { get; init; }

    public int Rounds { get; init; } = 3;

    public int Connections { get; init; } = 100;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Measure { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Fixed rate of the latency scenario, lowered to half the slowest system's 64 B throughput when that was measured.</summary>
    public double LatencyRate { get; init; } = 4000;

    public int HandshakeConcurrency { get; init; } = 32;

    public int IdleConnections { get; init; } = 10_000;

    public int IdleRounds { get; init; } = 3;

    public int ReloadChanges { get; init; } = 100;

    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    public double ReloadRate { get; init; } = 1000;

    public int ReloadRounds { get; init; } = 3;

    /// <summary>Cluster sizes of the propagation scenario: sidecar processes against the emulator and one operator.</summary>
    public IReadOnlyList<int> PropagationSidecars { get; init; } = [10, 50, 200];

    public int PropagationChanges { get; init; } = 20;

    public int PropagationWarmup { get; init; } = 2;

    /// <summary>The scale scenario: sidecar pods spread over namespaces, and routes in each namespace.</summary>
    public (int Sidecars, int Namespaces, int RoutesPerNamespace) Scale { get; init; } = (200, 100, 10);

    /// <summary>The hostile scenario: well-behaved connections at a fixed rate (64 B) while one attack runs.</summary>
    public (int Connections, double Rate) HostileLoad { get; init; } = (20, 1000);

    /// <summary>How long a flood (and the oversized handshakes) runs, and how long a slowloris or half-open attacker is watched at most.</summary>
    public TimeSpan HostileAttack { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HostileBound { get; init; } = TimeSpan.FromSeconds(30);

    public int HostileSlowloris { get; init; } = 500;

    public int HostileHalfOpen { get; init; } = 10_000;

    public int HostileOversized { get; init; } = 20;

    public static Plan Full => new() { Name = "full" };

    public static Plan Quick => new()
    {
        Name = "quick",
        Warmup = TimeSpan.FromSeconds(0.4),
        Measure = TimeSpan.FromSeconds(0.8),
        IdleConnections = 1_000,
        IdleRounds = 1,
        ReloadChanges = 10,
        ReloadRounds = 1,
        PropagationSidecars = [10],
        PropagationChanges = 5,
        PropagationWarmup = 1,
        Scale = (20, 10, 10),
        HostileAttack = TimeSpan.FromSeconds(3),
        HostileBound = TimeSpan.FromSeconds(15),
        HostileHalfOpen = 1_000,
        HostileOversized = 5,
    };

    public IEnumerable<string> Describe()
    {
        string S(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
        yield return $"plan `{Name}`: {Rounds} rounds of each load scenario ({S(Warmup)} warm-up, {S(Measure)} measured, {Connections} connections), " +
            $"{IdleRounds} round(s) of up to {IdleConnections:N0} idle connections (see that scenario for the count that fits here), {ReloadRounds} round(s) of {ReloadChanges} config changes every " +
            $"{ReloadInterval.TotalMilliseconds:0} ms, {PropagationChanges} route changes through the operator with " +
            $"{string.Join(", ", PropagationSidecars)} sidecars, {Scale.Namespaces * Scale.RoutesPerNamespace:N0} routes in {Scale.Namespaces} namespaces on {Scale.Sidecars} sidecars, " +
            $"hostile clients for {S(HostileAttack)} each (slowloris and half-open watched up to {S(HostileBound)}; {HostileSlowloris} and {HostileHalfOpen:N0} of them)";
    }
}
