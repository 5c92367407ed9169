using System.Diagnostics;
using System.Globalization;
using System.Net;
using k8s;
using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Soak;

/// <summary>What a soak run was: for the report's header.</summary>
internal sealed record SoakSetup(SoakOptions Options, IReadOnlyDictionary<string, (int Connections, int Active, double Rate)> Routes, string WorkDirectory, DateTime Started)
{
    public double HeldMinutes { get; set; }

    public string Describe() =>
        FormattableString.Invariant($"{Started:yyyy-MM-dd HH:mm} UTC, connections held {HeldMinutes:0.0} min of {Options.Minutes:0.#} planned; {Runner.Machine()}; ") +
        FormattableString.Invariant($"API emulator, one operator, {Options.Sidecars} sidecars on 127.0.0.2 onwards, two echo upstreams, the harness: all on every CPU; ") +
        string.Join(", ", Routes.Select(r => FormattableString.Invariant($"{r.Key}: {r.Value.Connections:N0} connections, {r.Value.Active} sending {r.Value.Rate:0} msg/s in all"))) +
        FormattableString.Invariant($"; 64 B messages; a sample every {Options.SampleInterval.TotalSeconds:0} s; churn route changed every second, secure route's certificate ") +
        FormattableString.Invariant($"rotated every minute, churn upstream restarted every {Options.RestartInterval.TotalSeconds:0} s");
}

/// <summary>
/// `make soak`: a <see cref="LocalCluster"/> with three routes on every sidecar: steady (never changed), secure (TLS,
/// its certificate Secret rotated every minute) and churn (its spec changed every second, its upstream restarted every
/// few minutes). Thousands of connections held over them, spread over the sidecars, a few sending numbered echoes;
/// the processes sampled over time; <see cref="SoakVerdict"/> decides.
/// </summary>
internal static class SoakRun
{
    private const double SteadyRate = 200;
    private const double SideRate = 20;

    public static async Task<int> RunAsync(SoakOptions options, CancellationToken cancel)
    {
        var (soft, _) = Limits.RaiseOpenFiles(200_000);
        // The client holds one descriptor per connection, the sidecars two and the upstreams one: the per-process limit and this
        // sandbox's system-wide cap (about 40,000 open files, shared with other work; see Runner) bound the count.
        var connections = (int)Math.Min(options.Connections, Math.Min(8_000, ((long)soft - 1_000) / 2));
        if (connections < options.Connections)
        {
            Console.WriteLine($"soak: {connections:N0} connections, not {options.Connections:N0} (open files {soft:N0}, system-wide cap)");
        }

        var started = DateTime.UtcNow;
        var work = Directory.CreateDirectory(Path.Combine(options.Out, "raw", "soak-" + started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))).FullName;
        var cpus = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        var settings = new SystemSettings(options.Repo, work, cpus, Ports.Free(), (int)Math.Min(soft, 1_000_000));
        foreach (var file in new[] { settings.SidecarExecutable, settings.OperatorDll, settings.EmulatorDll, settings.EchoDll })
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"soak: {file} is missing: build Release first (make build)");
                return 2;
            }
        }

        var churn = connections / 10;
        var secure = Math.Max(10, connections / 50);
        var steady = connections - churn - secure;
        var setup = new SoakSetup(options, new Dictionary<string, (int, int, double)>
        {
            ["steady"] = (steady, Math.Min(100, steady), SteadyRate),
            ["secure"] = (secure, Math.Min(10, secure), SideRate),
            ["churn"] = (churn, Math.Min(10, churn), SideRate),
        }, work, started);
        Console.WriteLine($"soak: {setup.Describe()}; logs in {work}");

        var churnSettings = settings with { UpstreamPort = Ports.Free() };
        var steadyUpstream = await Upstream.StartAsync(settings, "upstream-steady");
        var authority = new TestCertificates("k8s-ws-proxy-soak-ca");
        Disturbances? disturbances = null;
        var complete = false;
        var samples = new List<SoakSample>();
        IReadOnlyList<RouteTotals> totals = [];
        SoakLoad? load = null;
        try
        {
            await using var cluster = await LocalCluster.StartAsync(settings, options.Sidecars, cpus, cancel);
            disturbances = new Disturbances(cluster, authority, churnSettings, options.RestartInterval, Console.Out)
            {
                Upstream = await Upstream.StartAsync(churnSettings, "upstream-churn"),
            };
            await disturbances.WriteCertificateAsync(create: true, cancel);
            foreach (var (name, upstream, tls) in new[] { ("steady", settings.UpstreamPort, false), ("secure", settings.UpstreamPort, true), ("churn", churnSettings.UpstreamPort, false) })
            {
                await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route(name, upstream, tls), "k8swsproxy.io", "v1alpha1", LocalCluster.Namespace, "websocketroutes", cancellationToken: cancel);
            }

            var held = Plan(cluster, setup);
            await UntilServedAsync(held, cancel);
            load = new SoakLoad(held, setup.Routes.ToDictionary(r => r.Key, r => r.Value.Rate), SoakVerdict.Unaffected);
            var opening = Stopwatch.GetTimestamp();
            var (failed, firstError) = await load.OpenAsync(TimeSpan.FromMinutes(3), cancel);
            Console.WriteLine($"soak: {held.Count - failed:N0} of {held.Count:N0} connections open in {Stopwatch.GetElapsedTime(opening).TotalSeconds:0.0} s{(failed > 0 ? $"; first failure: {firstError}" : "")}");

            load.Start();
            using var stopDisturbing = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var disturbing = disturbances.RunAsync(stopDisturbing.Token);
            var start = Stopwatch.GetTimestamp();
            var end = TimeSpan.FromMinutes(options.Minutes);
            using var timer = new PeriodicTimer(options.SampleInterval);
            try
            {
                while (Stopwatch.GetElapsedTime(start) < end && await timer.WaitForNextTickAsync(cancel))
                {
                    var sample = await SoakSample.TakeAsync(cluster, load, Stopwatch.GetElapsedTime(start).TotalMinutes);
                    samples.Add(sample);
                    Console.WriteLine(Line(sample));
                }

                complete = true;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("soak: interrupted");
            }

            setup.HeldMinutes = Stopwatch.GetElapsedTime(start).TotalMinutes;
            await stopDisturbing.CancelAsync();
            try
            {
                await disturbing;
            }
            catch (OperationCanceledException) when (stopDisturbing.IsCancellationRequested)
            {
                // A disturbance cut short by the end of the run (a rotation waiting to be served, say): not a failure.
            }
            totals = await load.StopAsync(TimeSpan.FromSeconds(3));
            if (disturbances.Upstream is { } churnUpstream)
            {
                await churnUpstream.StopAsync();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"soak: failed: {e}");
            complete = false;
        }
        finally
        {
            await steadyUpstream.StopAsync();
            ManagedProcess.KillAll();
        }

        var growth = SoakVerdict.Growth(samples);
        var failures = disturbances is null ? ["the cluster did not start"] : SoakVerdict.Failures(totals, growth, disturbances, complete);
        if (disturbances is not null)
        {
            Directory.CreateDirectory(options.Out);
            var report = Path.Combine(options.Out, "soak.md");
            await File.WriteAllTextAsync(report, SoakReport.Markdown(setup, samples, totals, growth, disturbances, load?.WholeRun() ?? default, failures), CancellationToken.None);
            SoakReport.WriteCharts(samples, Path.Combine(options.Out, "charts-soak"), Console.Out);
            Console.WriteLine($"soak: wrote {report} and {Path.Combine(options.Out, "charts-soak")}/");
        }

        foreach (var r in totals)
        {
            Console.WriteLine($"  {r.Route}: {r.Opened:N0}/{r.Planned:N0} open, {r.Closes} closed, {r.Reconnects} reopened, {r.Sent:N0} sent, {r.Received:N0} echoed, {r.Lost} lost, {r.Duplicated} duplicated");
        }

        Console.WriteLine(failures.Count == 0 ? "soak: pass" : "soak: FAIL: " + string.Join("; ", failures));
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>The connections: per route its count, spread round robin over the sidecars; the first few of each route send.</summary>
    private static List<HeldConnection> Plan(LocalCluster cluster, SoakSetup setup)
    {
        var sidecars = cluster.SidecarUrls.Values.ToList();
        var held = new List<HeldConnection>();
        foreach (var (route, (count, active, _)) in setup.Routes)
        {
            for (var i = 0; i < count; i++)
            {
                var urls = sidecars[i % sidecars.Count];
                var target = route == "secure"
                    ? new Target(new IPEndPoint(IPAddress.Parse(urls.Tls.Host), urls.Tls.Port), Disturbances.SecureHost, "/secure", Tls: true)
                    : new Target(new IPEndPoint(IPAddress.Parse(urls.Plain.Host), urls.Plain.Port), urls.Plain.Authority, "/" + route);
                held.Add(new HeldConnection(route, target, i < active));
            }
        }

        return held;
    }

    /// <summary>Until every route answers an echo on every sidecar (the operator has delivered them), 60 s at most.</summary>
    private static async Task UntilServedAsync(IReadOnlyList<HeldConnection> held, CancellationToken cancel)
    {
        var probes = held.DistinctBy(c => (c.Route, c.Target.EndPoint)).Select(c => c.Target).ToList();
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        var frame = Scenarios.Frame(64);
        foreach (var target in probes)
        {
            while (true)
            {
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                    attempt.CancelAfter(TimeSpan.FromSeconds(5));
                    using var c = await WsConnection.ConnectAsync(target, null, 1024, attempt.Token);
                    await c.SendAsync(frame, attempt.Token);
                    if ((await c.ReceiveAsync(attempt.Token)).Kind == Received.Message)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException && !cancel.IsCancellationRequested)
                {
                    if (Stopwatch.GetTimestamp() > deadline)
                    {
                        throw new TimeoutException($"{target.Host}{target.Path} on {target.EndPoint} not served within 60 s: {e.Message}");
                    }
                }

                await Task.Delay(200, cancel);
            }
        }
    }

    private static object Route(string name, int upstreamPort, bool tls) => new Dictionary<string, object>
    {
        ["apiVersion"] = "k8swsproxy.io/v1alpha1",
        ["kind"] = "WebSocketRoute",
        ["metadata"] = new { name, @namespace = LocalCluster.Namespace },
        ["spec"] = tls
            ? new Dictionary<string, object>
            {
                ["selector"] = new { matchLabels = new Dictionary<string, string> { ["app"] = "chat" } },
                ["match"] = new { hosts = new[] { Disturbances.SecureHost }, path = "/" + name },
                ["tls"] = new { secretName = Disturbances.SecretName },
                ["upstream"] = new { endpoints = new[] { new { url = $"ws://127.0.0.1:{upstreamPort}/echo" } } },
            }
            : new Dictionary<string, object>
            {
                ["selector"] = new { matchLabels = new Dictionary<string, string> { ["app"] = "chat" } },
                ["match"] = new { path = "/" + name },
                ["upstream"] = new { endpoints = new[] { new { url = $"ws://127.0.0.1:{upstreamPort}/echo" } } },
                ["headers"] = new { set = new Dictionary<string, string> { ["x-soak-change"] = "0" } },
            },
    };

    private static string Line(SoakSample s) =>
        FormattableString.Invariant($"  {s.Minutes,5:0.0} min  ") + string.Join("  ", s.Processes.Select(p => FormattableString.Invariant($"{p.Key} {p.Value.RssMiB:0.0} MiB {p.Value.OpenFiles} fds{(double.IsNaN(p.Value.Connections) ? "" : $" {p.Value.Connections:0} conns")}"))) +
        FormattableString.Invariant($"  client {string.Join("/", s.Connected.Values)}  echoes {s.Echoes}  p99 {s.P99Micros:N0} µs");
}
