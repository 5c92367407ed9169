using System.Diagnostics;
using System.Globalization;
using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Propagation;
using K8sWsProxy.Bench.Report;
using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Bench.Systems;

namespace K8sWsProxy.Bench.Harness;

/// <summary>
/// Runs every scenario against every system, alternating systems within each round (A B C D A B C D ...), and
/// collects the rounds. Load scenarios share one running instance of each system; the idle-connection and reload
/// scenarios start a fresh one per measurement, so memory and worker counts start from zero.
/// </summary>
internal sealed class Runner(Plan plan, SystemSettings settings, IReadOnlyList<string> systems, IReadOnlySet<string> scenarios, TextWriter log)
{
    private readonly SourceAddresses sources = new(32);

    public List<ScenarioResult> Results { get; } = [];

    public string SidecarMetrics { get; private set; } = "not checked";

    public double LatencyRateUsed { get; private set; }

    /// <summary>The open-files limit the proxies inherit (hard limit after the harness raised what it could).</summary>
    public ulong MaxOpenFiles { get; init; } = ulong.MaxValue;

    private int idleConnections = plan.IdleConnections;

    /// <summary>The messages scenario's idle connections: the quick plan's idle count, in either plan (its figure is a difference between variants).</summary>
    private const int MessagesIdleConnections = 1_000;

    /// <summary>Idle connections that fit under this sandbox's system-wide open-files cap with room for other work (see the note).</summary>
    public int SystemWideIdleCap { get; init; } = 8_000;

    private SystemUnderTest Create(string name) => name switch
    {
        "direct" => new Direct(settings),
        "sidecar" => new Systems.Sidecar(settings),
        "sidecar, TLS" => new Systems.Sidecar(settings, tls: true),
        "sidecar, one rule" => new Systems.Sidecar(settings, echoRoute: EchoRoute.OneRule),
        "sidecar, onLost: Reconnect" => new Systems.Sidecar(settings, echoRoute: EchoRoute.Reconnect),
        "nginx" => new Nginx(settings),
        "haproxy" => new Haproxy(settings),
        _ => throw new ArgumentException($"unknown system {name}"),
    };

    private bool Wants(string scenario) => scenarios.Contains(scenario) || scenarios.Contains("all");

    public async Task RunAsync(CancellationToken cancel)
    {
        var throughput64 = new ScenarioResult("throughput-64b", "Throughput, 64 B echo",
            $"Closed loop: {plan.Connections} connections, each sending a 64 B binary message and waiting for its echo before the next; " +
            "echoed messages per second over the measured window (warm-up excluded).",
            [new Metric("rate", "messages/s", "msg/s", true), new Metric("cpu", "proxy CPU per message", "µs", false, "N1"), new Metric("errors", "errors", "", false)]);
        var throughput16k = new ScenarioResult("throughput-16kib", "Throughput, 16 KiB echo",
            $"As above with 16 KiB messages; MB/s counts the payload one way.",
            [new Metric("rate", "messages/s", "msg/s", true), new Metric("mbps", "payload", "MB/s", true, "N1"), new Metric("cpu", "proxy CPU per message", "µs", false, "N1"), new Metric("errors", "errors", "", false)]);
        var latency = new ScenarioResult("latency", "Latency at a fixed rate", "",
            [new Metric("p99", "p99", "µs", false), new Metric("p50", "p50", "µs", false), new Metric("p999", "p99.9", "µs", false),
             new Metric("max", "max", "µs", false), new Metric("rawp99", "p99 from actual send", "µs", false),
             new Metric("rate", "achieved", "msg/s", true), new Metric("lost", "unanswered", "", false), new Metric("late", "pacer late, max", "µs", false)]);
        var handshakes = new ScenarioResult("handshakes", "Handshakes per second",
            $"{plan.HandshakeConcurrency} workers, each in a loop: new TCP connection, WebSocket upgrade, one 64 B echo, close handshake, " +
            "wait for the server's FIN. Completed connections per second over the measured window, and the share of attempts that completed.",
            [new Metric("rate", "connections/s", "conn/s", true), new Metric("cpu", "proxy CPU per connection", "µs", false, "N0"), new Metric("success", "success", "%", true, "0.00"), new Metric("failed", "failed", "", false)]);
        var idle = new ScenarioResult("idle-memory", "Memory per idle connection",
            $"A fresh instance; 100 connections opened and closed to warm it; resident memory of its process tree read (that is 'RSS idle'; then, " +
            $"ours only, again after a forced full GC and 1 s); then {plan.IdleConnections:N0} connections opened, 100 at a time from 32 loopback source addresses, each echoing one 64 B " +
            "message, left idle 2 s; memory read again the same way. Bytes per connection = RSS delta / connections open.",
            [new Metric("perconn", "RSS per connection", "bytes", false), new Metric("success", "handshake success", "%", true, "0.00"),
             new Metric("open", "connections open", "", true), new Metric("rssafter", "RSS with all open", "MB", false, "N1"),
             new Metric("rssidle", "RSS idle (warm, none open)", "MiB", false, "N1")]);
        var reload = new ScenarioResult("reload", "Reload under load",
            $"A fresh instance; {plan.Connections} connections at {plan.ReloadRate:N0} msg/s (64 B) in all while {plan.ReloadChanges} config changes are " +
            $"applied, one every {plan.ReloadInterval.TotalMilliseconds:0} ms at most (each adds a route/location/ACL; the next waits until the proxy " +
            "shows the change: ours a new revision on /v1/config, nginx and haproxy a new worker process), and a new connection (handshake, echo, close) " +
            "every 50 ms. Dropped = connections closed or failed under the client; lost = messages sent but never echoed (2 s grace).",
            [new Metric("dropped", "connections dropped", "", false), new Metric("lost", "messages lost", "", false),
             new Metric("applied", "changes applied", "", true), new Metric("newfail", "new connections failed", "", false),
             new Metric("p99", "p99 during", "µs", false), new Metric("procs", "processes after", "", false)]);
        var tracking = new ScenarioResult("frame-tracking", "Frame tracking and counting, on vs off (sidecar)", "",
            [new Metric("rate", "64 B messages/s", "msg/s", true), new Metric("cpu", "CPU per 64 B message", "µs", false, "N1"),
             new Metric("rate16k", "16 KiB messages/s", "msg/s", true), new Metric("cpu16k", "CPU per 16 KiB message", "µs", false, "N1"),
             new Metric("errors", "errors", "", false)]);
        var messages = new ScenarioResult("messages", "Message rules and failover: one rule, the stage alone, neither (sidecar)", "", tracking.Metrics);
        var messagesMemory = new ScenarioResult("messages-memory", "Message rules and failover: memory per idle connection (sidecar)", "", idle.Metrics);
        var propagation = new ScenarioResult("propagation", "Route change to every sidecar, through the operator",
            "A cluster of processes per row: the Kubernetes API emulator, one operator replica, and that many sidecar processes on 127.0.0.2 " +
            "onwards, each registered as a Running Pod with its IP and dialing the operator's TLS channel with a token bound to its pod; all on " +
            "every CPU (not pinned, unlike the proxies above). examples/route.yaml (route and Secrets, selecting every pod) is applied with " +
            $"kubectl, then {plan.PropagationWarmup} unmeasured and {plan.PropagationChanges} measured changes, one after another, each once the " +
            "cluster is at rest again (under a quarter of the machine's CPU for a second): the route document alone, re-applied with " +
            "`kubectl apply -f` and one request header edited (a new document for every sidecar). Each is " +
            "timed from the start of kubectl to: the last sidecar's \"Config revision … applied\" log line (serving it), the operator's " +
            "log line for the last sidecar's ack of that revision (the headline), the route's status on a watch showing every sidecar " +
            "synced and Ready at the new generation (what `kubectl get wsr` shows), and kubectl's exit. Log lines are timed as they " +
            "arrive at the harness, so the figures include the pipe. 'Operator fan-out' is the operator's own part, from its metric " +
            "wsproxy_operator_config_fanout_seconds: from the change seen by its watch to the last changed document written to a sidecar. " +
            "'Cluster CPU' is what all its processes used from the start of kubectl until all of that was seen, also per sidecar.",
            [new Metric("acked", "every sidecar acked", "ms", false), new Metric("applied", "every sidecar serving", "ms", false),
             new Metric("status", "status all synced, Ready", "ms", false), new Metric("kubectl", "kubectl apply returned", "ms", false),
             new Metric("fanout", "operator fan-out", "ms", false, "N1"), new Metric("cpu", "cluster CPU until done", "ms", false),
             new Metric("cpupersidecar", "cluster CPU per sidecar", "ms", false, "N1")])
        {
            Distribution = true,
        };

        if (Wants("throughput") || Wants("latency") || Wants("handshakes"))
        {
            await RunLoadScenariosAsync(throughput64, throughput16k, latency, handshakes, cancel);
        }

        if (Wants("idle"))
        {
            await RunIdleAsync(idle, cancel);
        }

        if (Wants("reload"))
        {
            Results.Add(reload);
            await AlternateFresh(systems.Where(s => s != "direct").ToList(), plan.ReloadRounds, reload, (s, c) => ReloadAsync(s, c), cancel);
            reload.Notes.Add("nginx and haproxy keep the old worker for as long as its WebSocket connections live (neither config sets " +
                "worker_shutdown_timeout or hard-stop-after), which is why nothing is dropped there and why 'processes after' grows with each change.");
        }

        if (Wants("tracking") && systems.Contains("sidecar"))
        {
            await RunTrackingAsync(tracking, cancel);
        }

        if (Wants("messages") && systems.Contains("sidecar"))
        {
            await RunMessagesAsync(messages, messagesMemory, cancel);
        }

        if (Wants("propagation"))
        {
            Results.Add(propagation);
            await PropagationAsync(propagation, cancel);
        }

        if (Wants("hostile"))
        {
            await RunHostileAsync(cancel);
        }

        if (Wants("scale"))
        {
            var scale = new ScenarioResult("scale", "Many routes, many namespaces, many sidecars",
                $"A cluster as in the propagation scenario, its {plan.Scale.Sidecars} sidecar pods spread over {plan.Scale.Namespaces} namespaces " +
                $"({plan.Scale.Sidecars / plan.Scale.Namespaces} each). {plan.Scale.RoutesPerNamespace} routes per namespace, each selecting that " +
                "namespace's pods on a path of its own, are created through the API, 16 at a time; 'all Ready' is from the first create until a " +
                "watch on every route has seen each Ready and synced on all its pods. Then one route is changed (a merge patch of its spec) and " +
                "timed until it is Ready at its new generation. Status writes are the operator's 'Status of …' log lines: until all Ready, in 2 s at " +
                "rest after that, and for the one change (until 1 s after it was Ready). For reference, public Gateway API benchmarks report " +
                "1,000 attached routes in 1-2 s for the best controllers and 12 s to minutes for several others.",
                [
                    new Metric("create", "creating them all", "ms", false),
                    new Metric("ready", "all Ready", "ms", false),
                    new Metric("writes", "status writes until all Ready", "", false),
                    new Metric("writesps", "status writes per second", "/s", false),
                    new Metric("quietwrites", "status writes at rest (2 s)", "", false),
                    new Metric("change", "one route changed: Ready", "ms", false),
                    new Metric("changewrites", "status writes for that change", "", false),
                    new Metric("rss", "operator resident memory", "MiB", false),
                ]);
            Results.Add(scale);
            await ScaleAsync(scale, cancel);
        }
    }

    private async Task ScaleAsync(ScenarioResult into, CancellationToken cancel)
    {
        var cpus = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        var (sidecars, namespaces, routes) = plan.Scale;
        var watch = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartAsync(settings, sidecars, cpus, cancel, namespaces);
        log.WriteLine($"  scale: {sidecars} sidecars in {namespaces} namespaces up and synced in {watch.Elapsed.TotalSeconds:0.0} s");
        into.Add($"{namespaces * routes:N0} routes, {sidecars} sidecars", await new ScaleScenario(cluster, routes, log).RunAsync(cancel));
    }

    /// <summary>Throughput, latency and handshakes: every system started once and measured in turn, round after round.</summary>
    private async Task RunLoadScenariosAsync(ScenarioResult throughput64, ScenarioResult throughput16k, ScenarioResult latency, ScenarioResult handshakes, CancellationToken cancel)
    {
        var running = new List<SystemUnderTest>();
        try
        {
            foreach (var name in systems)
            {
                var s = Create(name);
                running.Add(s);
                await s.StartAsync(cancel);
                if (s is Systems.Sidecar sc)
                {
                    SidecarMetrics = sc.MetricsStatus;
                }
            }

            if (Wants("throughput"))
            {
                Results.Add(throughput64);
                await Alternate(running, plan.Rounds, throughput64, async s =>
                {
                    var cpu = s.CpuSeconds();
                    var r = await Scenarios.ThroughputAsync(s.Target, sources, plan.Connections, 64, plan.Warmup, plan.Measure, text: false, cancel);
                    return new() { ["rate"] = r.MessagesPerSecond, ["cpu"] = PerItem(s, cpu, r.AllMessages), ["errors"] = r.Errors };
                });
                Results.Add(throughput16k);
                await Alternate(running, plan.Rounds, throughput16k, async s =>
                {
                    var cpu = s.CpuSeconds();
                    var r = await Scenarios.ThroughputAsync(s.Target, sources, plan.Connections, 16 * 1024, plan.Warmup, plan.Measure, text: false, cancel);
                    return new()
                    {
                        ["rate"] = r.MessagesPerSecond,
                        ["mbps"] = r.MessagesPerSecond * 16 * 1024 / 1e6,
                        ["cpu"] = PerItem(s, cpu, r.AllMessages),
                        ["errors"] = r.Errors,
                    };
                });
            }

            if (Wants("latency"))
            {
                var slowest = running.Select(s => throughput64.Summarize(s.Name, "rate")?.Median).Where(v => v is not null).Select(v => v!.Value)
                    .DefaultIfEmpty(double.MaxValue).Min();
                LatencyRateUsed = Math.Floor(Math.Min(plan.LatencyRate, slowest / 2) / 100) * 100;
                latency.Measures =
                    $"{plan.Connections} connections, {LatencyRateUsed:N0} messages/s in all (64 B), paced by one sleeping thread: message k is due at " +
                    "start + k/rate on connection k mod n and released once due (the pacer sleeps in steps of about a millisecond and never spins, " +
                    "which would starve the client and upstream on its core); a connection still waiting for an echo queues it and sends it on the " +
                    "echo. Round trip measured from the release (coordinated omission corrected, HdrHistogram); 'p99 from actual send' is the " +
                    "uncorrected figure, 'pacer late' how far after its due time the pacer released a message. " +
                    $"The rate is the plan's {plan.LatencyRate:N0}/s or half the slowest system's 64 B throughput, whichever is lower.";
                Results.Add(latency);
                await Alternate(running, plan.Rounds, latency, async s =>
                {
                    var r = await Scenarios.FixedRateAsync(s.Target, sources, plan.Connections, 64, LatencyRateUsed, plan.Warmup, plan.Measure, null, cancel);
                    return new()
                    {
                        ["p50"] = r.P50,
                        ["p99"] = r.P99,
                        ["p999"] = r.P999,
                        ["max"] = r.Max,
                        ["rawp99"] = r.RawP99,
                        ["rate"] = r.AchievedRate,
                        ["lost"] = r.Sent - r.Received,
                        ["late"] = r.PacerLateMaxMicros,
                    };
                });
            }

            if (Wants("handshakes"))
            {
                Results.Add(handshakes);
                await Alternate(running, plan.Rounds, handshakes, async s =>
                {
                    var cpu = s.CpuSeconds();
                    var r = await Scenarios.HandshakesAsync(s.Target, sources, plan.HandshakeConcurrency, plan.Warmup, plan.Measure, 2_000_000, cancel);
                    if (r.FirstError is not null)
                    {
                        log.WriteLine($"    {s.Name}: first failure: {r.FirstError}");
                    }

                    return new() { ["rate"] = r.PerSecond, ["cpu"] = PerItem(s, cpu, r.AllSucceeded), ["success"] = 100 * r.SuccessRate, ["failed"] = r.Failed };
                });
            }
        }
        finally
        {
            foreach (var s in running)
            {
                await s.StopAsync();
            }
        }
    }

    /// <summary>Memory per idle connection: a fresh instance of each proxy per round, ours plain and over TLS.</summary>
    private async Task RunIdleAsync(ScenarioResult idle, CancellationToken cancel)
    {
        // Each proxied connection holds two descriptors in the proxy (client side and upstream side).
        var perProcessCap = (int)Math.Min(int.MaxValue, (MaxOpenFiles - 200) / 2);
        // This sandbox also caps open files across all processes (ENFILE, "Too many open files in system") at about 40,000, with
        // client, proxy (two) and upstream holding four descriptors per proxied connection, next to whatever else runs here.
        if (idleConnections > Math.Min(SystemWideIdleCap, perProcessCap))
        {
            idleConnections = Math.Min(SystemWideIdleCap, perProcessCap);
            idle.Notes.Add($"**{idleConnections:N0} connections, not {plan.IdleConnections:N0}**: besides the per-process hard limit of " +
                $"{MaxOpenFiles:N0} open files (no CAP_SYS_RESOURCE here; a proxy holds two per connection), this sandbox caps open files " +
                "across all processes at about 40,000 (ENFILE, 'Too many open files in system', although fs.file-max is far higher), and the " +
                "client, the proxy (two) and the upstream hold four per proxied connection. An earlier full run at 9,900 hit that cap: nginx " +
                "reset about 5% of the connections and ours answered 502 to some, failures of the machine rather than of the proxies.");
        }

        idle.Measures = idle.Measures.Replace($"{plan.IdleConnections:N0}", $"{idleConnections:N0}", StringComparison.Ordinal);
        Results.Add(idle);
        // Ours over TLS too (ECDSA P-256, TLS 1.3): what an idle TLS connection holds is mostly the TLS library's.
        var idleSystems = systems.Where(s => s != "direct").ToList();
        if (idleSystems.Contains("sidecar"))
        {
            idleSystems.Insert(idleSystems.IndexOf("sidecar") + 1, "sidecar, TLS");
        }

        await AlternateFresh(idleSystems, plan.IdleRounds, idle, (s, c) => IdleAsync(s, idle, idleConnections, c), cancel);
        idle.Notes.Add("The direct connection has no proxy process, so no memory figure; its handshake success is the upstream's own. " +
            "nginx's and haproxy's figures are their whole process tree (master and worker). 'sidecar, TLS' is ours with clients on its " +
            "TLS listener (a self-signed ECDSA P-256 certificate, TLS 1.3); nginx and haproxy are measured plain only.");
    }

    /// <summary>Our sidecar with and without frame tracking, alternating: the price of the frame-aware tunnel.</summary>
    private async Task RunTrackingAsync(ScenarioResult tracking, CancellationToken cancel)
    {
        tracking.Measures = "Our sidecar twice, alternating: as shipped, and started with `--frame-tracking off` (no frame parsing: no message " +
            "limits, keep-alive, idle close or message counting). The throughput scenarios' closed loop, 64 B and 16 KiB, with the proxy's CPU per " +
            "message. The difference is the price of the frame-aware tunnel. Metrics were on in every sidecar run (/metrics: " +
            $"{SidecarMetrics}); pricing the Prometheus export the same way needs a switch to turn it off, which the sidecar does not have yet.";
        Results.Add(tracking);
        var pair = new List<SystemUnderTest> { new Systems.Sidecar(settings), new Systems.Sidecar(settings, frameTracking: false) };
        await WithStartedAsync(pair, () => Alternate(pair, plan.Rounds, tracking, s => SmallAndLargeAsync(s, text: false, cancel)), cancel);
    }

    /// <summary>Starts every system, runs <paramref name="body"/>, and stops them all, whatever happens.</summary>
    private static async Task WithStartedAsync(List<SystemUnderTest> systems, Func<Task> body, CancellationToken cancel)
    {
        try
        {
            foreach (var s in systems)
            {
                await s.StartAsync(cancel);
            }

            await body();
        }
        finally
        {
            foreach (var s in systems)
            {
                await s.StopAsync();
            }
        }
    }

    /// <summary>The throughput scenarios' closed loop at 64 B and at 16 KiB, with the proxy's CPU per message (a variant against another).</summary>
    private async Task<Dictionary<string, double>> SmallAndLargeAsync(SystemUnderTest s, bool text, CancellationToken cancel)
    {
        var cpu = s.CpuSeconds();
        var small = await Scenarios.ThroughputAsync(s.Target, sources, plan.Connections, 64, plan.Warmup, plan.Measure, text, cancel);
        var cpuSmall = PerItem(s, cpu, small.AllMessages);
        cpu = s.CpuSeconds();
        var large = await Scenarios.ThroughputAsync(s.Target, sources, plan.Connections, 16 * 1024, plan.Warmup, plan.Measure, text, cancel);
        return new()
        {
            ["rate"] = small.MessagesPerSecond,
            ["cpu"] = cpuSmall,
            ["rate16k"] = large.MessagesPerSecond,
            ["cpu16k"] = PerItem(s, cpu, large.AllMessages),
            ["errors"] = small.Errors + large.Errors,
        };
    }

    /// <summary>
    /// Our sidecar as shipped, with one message rule, and with failover and no rule, alternating: what a route with
    /// either costs per message and per idle connection against one without.
    /// </summary>
    private async Task RunMessagesAsync(ScenarioResult messages, ScenarioResult memory, CancellationToken cancel)
    {
        messages.Measures = "Our sidecar three times, alternating: as shipped (the echo route relays bytes); with one message rule on the echo route " +
            "(`messages: {rules: [{name: probe, direction: Both, match: {exact: \"__never__\"}, action: Drop}]}`: the route's tunnels relay through " +
            "the message stage, which holds every message up to 64 KiB whole, both ways, and checks it against the rule, which matches none); and with " +
            "`upstream.onLost: Reconnect` and no rule (the stage alone, holding messages whole to fail over at their boundaries). The throughput " +
            "scenarios' closed loop, 64 B and 16 KiB, with the proxy's CPU per message, but **text** messages (ASCII letters) in all three, since rules " +
            "see text only (the echo upstream decodes short text messages to look for its commands, so 64 B rates are not the throughput scenario's); " +
            "one message is one echo, so it crosses the stage twice. The rates are set by whichever core saturates first, on this machine the " +
            "client's and the upstream's, so compare the CPU per message. The differences to as shipped are the price of the stage and of " +
            "one rule. An exact rule whose text differs in length from the message is decided by the length: this prices holding the message whole " +
            "and looking at a rule, not reading the message (a regular expression decodes it to a string and scans it, a JSON rule parses it: " +
            "dearer, not measured here).";
        memory.Measures = $"A fresh instance of each of the three sidecars above per round, measured as in the idle scenario with {MessagesIdleConnections:N0} " +
            "connections (each echoing one 64 B binary message, then idle): resident memory after a forced full GC, before and with all open. Bytes per " +
            "connection = RSS delta / connections open.";
        Results.Add(messages);
        Results.Add(memory);
        string[] names = ["sidecar", "sidecar, one rule", "sidecar, onLost: Reconnect"];
        var trio = names.Select(Create).ToList();
        await WithStartedAsync(trio, () => Alternate(trio, plan.Rounds, messages, s => SmallAndLargeAsync(s, text: true, cancel)), cancel);

        await AlternateFresh(names, plan.IdleRounds, memory, (s, c) => IdleAsync(s, memory, MessagesIdleConnections, c), cancel);
        foreach (var name in names.Skip(1))
        {
            string Against(ScenarioResult into, string metric) => MarkdownReport.Ratio(Summary.Ratio(into.Summarize(name, metric), into.Summarize(names[0], metric)));
            messages.Notes.Add($"{name} against as shipped (ratios of medians): CPU per 64 B message {Against(messages, "cpu")}, per 16 KiB message " +
                $"{Against(messages, "cpu16k")}; RSS per idle connection {Against(memory, "perconn")}.");
        }
    }

    private async Task PropagationAsync(ScenarioResult into, CancellationToken cancel)
    {
        var cpus = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        foreach (var sidecars in plan.PropagationSidecars)
        {
            var watch = Stopwatch.StartNew();
            await using var cluster = await LocalCluster.StartAsync(settings, sidecars, cpus, cancel);
            log.WriteLine($"  propagation: {sidecars} sidecars up and synced in {watch.Elapsed.TotalSeconds:0.0} s");
            var scenario = new PropagationScenario(settings, cluster, Cores(), log);
            foreach (var change in await scenario.RunAsync(plan.PropagationWarmup, plan.PropagationChanges, cancel))
            {
                into.Add($"{sidecars} sidecars", change);
            }

            into.Notes.Add($"{sidecars} sidecars: the cluster (emulator, operator, sidecars) at rest used {scenario.IdleCores:0.00} cores before the last change.");
        }
    }

    /// <summary>
    /// Hostile clients: per proxy (a fresh instance each), well-behaved connections at a fixed rate without an attack,
    /// then during each attack in turn; the attack runs in the fixed-rate run's <c>during</c> hook, bounded in time and
    /// count, and its outcome goes into the same row.
    /// </summary>
    private async Task RunHostileAsync(CancellationToken cancel)
    {
        var (connections, rate) = plan.HostileLoad;
        // A half-open connection holds one descriptor here and one in the proxy (no upstream yet).
        var halfOpen = (int)Math.Min(plan.HostileHalfOpen, Math.Min((long)MaxOpenFiles - 1000, 2L * SystemWideIdleCap));
        string S(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
        var hostile = HostileReport.Create(
            $"A fresh instance of each proxy. {connections} well-behaved connections at {rate:N0} messages/s in all (64 B, the latency scenario's " +
            $"pacer, {S(plan.Warmup)} warm-up), first without an attack (baseline), then while one attack runs, each in turn, then once more without (the baseline p99 " +
            "is the higher of the two: the machine's own noise, which an attack must exceed to count as harm): " +
            $"**ping flood**: one upgraded connection writes empty pings ({Attacks.FloodBatch} per write) as fast as it can, for {S(plan.HostileAttack)} at most or until the proxy ends it " +
            "(what it wrote counts frames written before it saw the proxy's close, most of them into socket buffers); " +
            $"**1-byte fragment flood**: the same with one endless binary message in 1-byte fragments; " +
            $"**slowloris**: {plan.HostileSlowloris} TCP connections each sending an upgrade head one byte a second; " +
            $"**half-open**: {halfOpen:N0} TCP connections (100 opening at a time) that never send a byte; both watched for up to {S(plan.HostileBound)} " +
            "(the latency measurement goes on for that long, for every proxy alike); " +
            $"**64 KiB header**: {plan.HostileOversized} upgrade requests in turn, each with one 64 KiB header, the answer timed from the first byte " +
            "written. Each attack runs in a process of its own on the client's core (with the well-behaved client and the upstream) at the " +
            "scheduler's idle priority: it gets what they leave of the core, as an attacker on another machine would, so its own work (opening and closing " +
            "10,000 sockets, writing a flood) is not counted as the proxy's harm. The direct connection has no proxy to attack. Latency columns are the well-behaved connections' round trips during the " +
            "whole window, measured as in the latency scenario.");
        Results.Add(hostile);
        foreach (var name in systems.Where(s => s != "direct"))
        {
            var s = Create(name);
            try
            {
                await s.StartAsync(cancel);
                foreach (var attack in HostileReport.Sequence)
                {
                    AttackOutcome? outcome = null;
                    string? failure = null;
                    var watched = attack is HostileReport.Slowloris or HostileReport.HalfOpen;
                    var attacker = AttackOptions.Kinds.Values.Contains(attack) ? new AttackOptions
                    {
                        Attack = attack,
                        Port = s.Target.EndPoint.Port,
                        Path = s.Target.Path,
                        Count = attack switch
                        {
                            HostileReport.Slowloris => plan.HostileSlowloris,
                            HostileReport.HalfOpen => halfOpen,
                            HostileReport.Oversized => plan.HostileOversized,
                            _ => 1,
                        },
                        Time = attack switch
                        {
                            HostileReport.Slowloris or HostileReport.HalfOpen => plan.HostileBound,
                            HostileReport.Oversized => TimeSpan.FromSeconds(5),
                            _ => plan.HostileAttack,
                        },
                        ProxyPids = attack == HostileReport.HalfOpen ? [.. s.Pids()] : [],
                    } : null;
                    async Task During(CancellationToken c)
                    {
                        try
                        {
                            outcome = await AttackerProcess.RunAsync(attacker!, Path.Combine(settings.WorkDirectory, $"attacker-{name}-{attacker!.Kind}.log"), c);
                        }
                        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                        {
                            failure = e.Message;
                        }
                    }

                    var watch = Stopwatch.StartNew();
                    // Slowloris and half-open are watched longer than a flood runs, and measured over their whole bound for every
                    // proxy, however soon it cuts them: a window that ends with the last cut gave a proxy slower to cut a longer
                    // window, in which the moments of harm weighed less in its p99.
                    var measure = watched ? plan.HostileBound : plan.HostileAttack;
                    var cpu = s.CpuSeconds();
                    var r = await Scenarios.FixedRateAsync(s.Target, sources, connections, 64, rate, plan.Warmup, measure, attacker is null ? null : During, cancel);
                    cpu = s.CpuSeconds() - cpu;
                    var values = new Dictionary<string, double>
                    {
                        ["p99"] = r.P99,
                        ["p50"] = r.P50,
                        ["max"] = r.Max,
                        ["errors"] = r.ConnectionsDropped + (r.Sent - r.Received),
                        ["late"] = r.PacerLateMaxMicros,
                        ["load"] = LoadAverage(),
                        ["cpu"] = cpu * 1000,
                    };
                    foreach (var (key, value) in outcome?.ToValues() ?? [])
                    {
                        values[key] = value;
                    }

                    hostile.Add(HostileReport.Row(name, attack), values);
                    log.WriteLine($"  hostile {name,-8} {attack}: p99 {r.P99:N0} µs, p50 {r.P50:N0} µs, errors {values["errors"]:N0}, proxy CPU {cpu * 1000:N0} ms; " +
                        $"{(failure is not null ? $"the attack failed: {failure}" : HostileReport.Fate(attack, values))} ({watch.Elapsed.TotalSeconds:0.0} s)");
                    if (failure is not null)
                    {
                        hostile.Notes.Add($"{name}, {attack}: the attack itself failed ({failure}).");
                    }

                    await Task.Delay(1000, cancel); // what the attack left behind closes before the next
                }
            }
            finally
            {
                await s.StopAsync();
            }
        }

        if (halfOpen < plan.HostileHalfOpen)
        {
            hostile.Notes.Add($"{halfOpen:N0} half-open connections, not {plan.HostileHalfOpen:N0}: the open-files limits of this sandbox (see the idle scenario).");
        }
    }

    /// <summary>Round after round, every system once in the same order: drift hits them alike.</summary>
    private async Task Alternate(IReadOnlyList<SystemUnderTest> running, int rounds, ScenarioResult into, Func<SystemUnderTest, Task<Dictionary<string, double>>> measure)
    {
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var s in running)
            {
                var watch = Stopwatch.StartNew();
                var values = await measure(s);
                into.Add(s.Name, values);
                log.WriteLine($"  {into.Id} round {round} {s.Name,-8} {Describe(into, values)} ({watch.Elapsed.TotalSeconds:0.0} s)");
            }
        }
    }

    private async Task AlternateFresh(IReadOnlyList<string> names, int rounds, ScenarioResult into,
        Func<SystemUnderTest, CancellationToken, Task<Dictionary<string, double>>> measure, CancellationToken cancel)
    {
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var name in names)
            {
                var s = Create(name);
                var watch = Stopwatch.StartNew();
                try
                {
                    await s.StartAsync(cancel);
                    var values = await measure(s, cancel);
                    into.Add(name, values);
                    log.WriteLine($"  {into.Id} round {round} {name,-8} {Describe(into, values)} ({watch.Elapsed.TotalSeconds:0.0} s)");
                }
                finally
                {
                    await s.StopAsync();
                }
            }
        }
    }

    /// <summary>Proxy CPU microseconds per message or connection since <paramref name="cpuBefore"/>; NaN for the direct connection.</summary>
    private static double PerItem(SystemUnderTest s, double cpuBefore, long items) =>
        s.Process is null || items == 0 ? double.NaN : (s.CpuSeconds() - cpuBefore) * 1e6 / items;

    private static string Describe(ScenarioResult s, Dictionary<string, double> values) =>
        string.Join("  ", s.Metrics.Where(m => values.ContainsKey(m.Key)).Select(m => $"{m.Label}={MarkdownReport.Format(values[m.Key], m.Format)}"));

    private async Task<Dictionary<string, double>> IdleAsync(SystemUnderTest s, ScenarioResult into, int connections, CancellationToken cancel)
    {
        var (warm, _, _) = await Scenarios.OpenAsync(s.Target, sources, 100, 50, 512, true, TimeSpan.FromSeconds(20), cancel);
        await Scenarios.CloseAllAsync(warm, 50, TimeSpan.FromSeconds(10));
        await Task.Delay(500, cancel);
        var pids = s.Pids();
        // Read before the first forced GC: the diagnostics session that forces it leaves its own buffers in our
        // process (measured: 2.4 MB at a cold start), which nginx and haproxy are not charged. They cancel out of
        // the per-connection delta, both sides being read after one.
        var idle = pids.Sum(ProcFs.RssBytes);
        var how = await s.SettleMemoryAsync();
        var before = pids.Sum(ProcFs.RssBytes);
        var (open, failed, error) = await Scenarios.OpenAsync(s.Target, sources, connections, 100, 256, true, TimeSpan.FromSeconds(120), cancel);
        try
        {
            if (error is not null)
            {
                log.WriteLine($"    {s.Name}: {failed} failed, first: {error}");
            }

            await Task.Delay(2000, cancel);
            await s.SettleMemoryAsync();
            var after = pids.Sum(ProcFs.RssBytes);
            var readable = s.Process is { HasExited: false } && after > 0;
            if (!readable)
            {
                log.WriteLine($"    {s.Name}: gone, or its memory could not be read: no figure for this round");
            }

            if (how != "" && !into.Notes.Contains($"Ours: {how}."))
            {
                into.Notes.Add($"Ours: {how}.");
            }

            return new()
            {
                ["perconn"] = open.Count == 0 || !readable ? double.NaN : (after - before) / (double)open.Count,
                ["success"] = 100.0 * open.Count / connections,
                ["open"] = open.Count,
                ["rssafter"] = readable ? after / 1e6 : double.NaN,
                ["rssidle"] = idle / (1024.0 * 1024.0),
            };
        }
        finally
        {
            await Scenarios.CloseAllAsync(open, 200, TimeSpan.FromSeconds(30));
        }
    }

    private async Task<Dictionary<string, double>> ReloadAsync(SystemUnderTest s, CancellationToken cancel)
    {
        var applied = 0;
        long newOk = 0, newFailed = 0;
        var measure = TimeSpan.FromTicks(plan.ReloadInterval.Ticks * plan.ReloadChanges) + TimeSpan.FromSeconds(1);
        async Task During(CancellationToken c)
        {
            using var stopNew = CancellationTokenSource.CreateLinkedTokenSource(c);
            var newConnections = Task.Run(async () =>
            {
                var frame = Scenarios.Frame(64);
                var close = WsFrame.EncodeClose(1000, 0x0BADF00D);
                for (var i = 0; i < 100_000 && !stopNew.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        using var conn = await WsConnection.ConnectAsync(s.Target, sources.Next(), 1024, attempt.Token);
                        await conn.SendAsync(frame, attempt.Token);
                        var (kind, _) = await conn.ReceiveAsync(attempt.Token);
                        if (kind != Received.Message)
                        {
                            throw new IOException($"echo answered {kind}");
                        }

                        await conn.CloseAsync(close, attempt.Token);
                        newOk++;
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                        newFailed++;
                    }

                    try
                    {
                        await Task.Delay(50, stopNew.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }, CancellationToken.None);
            for (var n = 1; n <= plan.ReloadChanges && !c.IsCancellationRequested; n++)
            {
                var due = Task.Delay(plan.ReloadInterval, c);
                if (await s.ReloadAsync(n, c))
                {
                    applied++;
                }

                await due;
            }

            await stopNew.CancelAsync();
            await newConnections;
        }

        var r = await Scenarios.FixedRateAsync(s.Target, sources, plan.Connections, 64, plan.ReloadRate, TimeSpan.FromSeconds(1), measure, During, cancel);
        var procs = s.ProcessCount();
        return new()
        {
            ["dropped"] = r.ConnectionsDropped,
            ["lost"] = r.Sent - r.Received,
            ["applied"] = applied,
            ["newfail"] = newFailed,
            ["p99"] = r.P99,
            ["procs"] = procs,
        };
    }

    /// <summary>The machine's 1-minute load average (NaN without /proc/loadavg): how busy it was, other work included.</summary>
    private static double LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load)
            ? load : double.NaN;

    /// <summary>Every core of the machine, whatever this process is pinned to.</summary>
    private static int Cores() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)) : Environment.ProcessorCount;

    public static string Machine()
    {
        string Read(string path, string prefix) =>
            File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";
        var cpu = Read("/proc/cpuinfo", "model name");
        var memKb = Read("/proc/meminfo", "MemTotal").Split(' ')[0];
        var mem = long.TryParse(memKb, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024 / 1024.0:0.#} GiB" : "?";
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "?";
        return $"{Cores()} × {cpu}, {mem} RAM, Linux {kernel}, .NET {Environment.Version}";
    }
}
