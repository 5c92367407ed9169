using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Cluster;

/// <summary>
/// A cluster made of processes: the API emulator, one operator replica and <c>n</c> sidecars on 127.0.0.2 onwards,
/// each registered as a Running Pod (namespace demo, or spread over several) with its IP and dialing the operator
/// with a token bound to that pod. Every process logs to the work directory and is stopped by pid on dispose.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public const string Namespace = "demo";

    private readonly List<ManagedProcess> processes = [];

    private LocalCluster(string directory) => Directory = directory;

    public string Directory { get; }

    public string Kubeconfig => Path.Combine(Directory, "kubeconfig");

    public Kubernetes Client { get; private set; } = null!;

    public ManagedProcess Operator { get; private set; } = null!;

    /// <summary>The operator's health port, where it serves /metrics.</summary>
    public Uri OperatorHealth { get; private set; } = null!;

    /// <summary>The namespaces the sidecar pods are in: demo, or ns-00 onwards.</summary>
    public IReadOnlyList<string> Namespaces { get; private set; } = [Namespace];

    /// <summary>The sidecars by pod name ("chat-0" …).</summary>
    public IReadOnlyDictionary<string, ManagedProcess> Sidecars => sidecars;

    /// <summary>Where each sidecar listens, by pod name.</summary>
    public IReadOnlyDictionary<string, SidecarAddresses> SidecarUrls => sidecarUrls;

    private readonly Dictionary<string, ManagedProcess> sidecars = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SidecarAddresses> sidecarUrls = new(StringComparer.Ordinal);

    /// <summary>Starts everything; returns once every sidecar has applied its first document from the operator.</summary>
    /// <param name="namespaces">1: every pod in demo; more: pod i in ns-(i mod namespaces), numbered from ns-00.</param>
    public static async Task<LocalCluster> StartAsync(SystemSettings settings, int sidecarCount, string cpus, CancellationToken cancel, int namespaces = 1)
    {
        if (sidecarCount is < 1 or > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(sidecarCount), "one sidecar per address 127.0.0.2-127.0.0.251");
        }

        var cluster = new LocalCluster(System.IO.Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, $"cluster-{sidecarCount}-{namespaces}")).FullName)
        {
            Namespaces = namespaces == 1 ? [Namespace] : [.. Enumerable.Range(0, namespaces).Select(n => $"ns-{n:D2}")],
        };
        try
        {
            await cluster.StartProcessesAsync(settings, sidecarCount, cpus, cancel);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(SystemSettings settings, int sidecarCount, string cpus, CancellationToken cancel)
    {
        var apiPort = Ports.Free();
        var emulator = Start("kube-emulator", cpus, settings.EmulatorDll, "kube-emulator.log", null,
            "--port", S(apiPort), "--kubeconfig", Kubeconfig, "--namespace", Namespaces[0], "--preload", Path.Combine(settings.RepoRoot, "crds", "websocketroutes.k8swsproxy.io.yaml"));
        await emulator.WaitForLineAsync(l => l.StartsWith("kubeconfig: ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
        foreach (var ns in Namespaces)
        {
            await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancel);
        }

        var authority = new TestCertificates("k8s-ws-proxy-bench-ca");
        var serving = authority.Issue("k8s-ws-proxy-operator", "localhost");
        var caFile = Write("ca.crt", authority.CaPem);
        var channelPort = Ports.Free();
        var healthPort = Ports.Free();
        OperatorHealth = new Uri($"http://127.0.0.1:{healthPort}/");
        // Debug for the operator's own category: its "Sidecar … acked …" lines are what the scenario times.
        Operator = Start("operator", cpus, settings.OperatorDll, "operator.log", new() { ["Logging__LogLevel__K8sWsProxy"] = "Debug" },
            "--kubeconfig", Kubeconfig, "--tls-cert", Write("operator.crt", serving.CertificatePem), "--tls-key", Write("operator.key", serving.KeyPem),
            "--listen", $"127.0.0.1:{channelPort}", "--health-listen", $"127.0.0.1:{healthPort}", "--identity", "bench-operator");
        await Operator.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        var firstDocuments = new List<Task>();
        for (var i = 0; i < sidecarCount; i++)
        {
            var name = $"chat-{i}";
            var ip = IPAddress.Parse($"127.0.0.{i + 2}");
            var tokenFile = Write($"{name}.token", await RegisterPodAsync(name, Namespaces[i % Namespaces.Count], ip, cancel));
            var (plain, tls, admin) = (Ports.Free(), Ports.Free(), Ports.Free());
            var sidecar = Start(name, cpus, settings.SidecarExecutable, $"{name}.log", null,
                "--operator", $"wss://127.0.0.1:{channelPort}/v1/channel", "--token-file", tokenFile, "--operator-ca", caFile,
                "--state-dir", System.IO.Directory.CreateDirectory(Path.Combine(Directory, name + "-state")).FullName,
                "--listen", $"{ip}:{plain}", "--listen-tls", $"{ip}:{tls}",
                "--admin", $"{ip}:{admin}", "--shutdown-timeout", "2s");
            sidecars[name] = sidecar;
            sidecarUrls[name] = new SidecarAddresses(new Uri($"ws://{ip}:{plain}"), new Uri($"wss://{ip}:{tls}"), new Uri($"http://{ip}:{admin}"));
            firstDocuments.Add(sidecar.WaitForLineAsync(l => l.Contains("Config revision ", StringComparison.Ordinal), TimeSpan.FromSeconds(120)));
        }

        await Task.WhenAll(firstDocuments);
    }

    /// <summary>`kubectl apply -f FILE` against this cluster (the kubectl of `make deps`, else the one on PATH); its exit code.</summary>
    public async Task<int> ApplyAsync(string file)
    {
        var kubectl = ManagedProcess.Start("kubectl", RepositoryPaths.Tool("kubectl"),
            ["--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(Directory, "kube-cache"), "apply", "-f", file],
            Path.Combine(Directory, "kubectl.log"));
        return await kubectl.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>CPU seconds every process of the cluster has used so far (none of them has children: one /proc read each).</summary>
    public double CpuSeconds() => processes.Where(p => !p.HasExited).Sum(p => ProcFs.CpuSeconds(p.Pid));

    /// <summary>A pod with a sidecar as the kubelet reports it (Running, with its IP); returns a token bound to it.</summary>
    private async Task<string> RegisterPodAsync(string name, string ns, IPAddress ip, CancellationToken cancel)
    {
        var pod = await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "chat", ["k8swsproxy.io/sidecar"] = "true" } },
            Spec = new V1PodSpec { ServiceAccountName = "default", Containers = [new V1Container { Name = "app", Image = "echo" }] },
        }, ns, cancellationToken: cancel);
        await Client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Pod { Status = new V1PodStatus { Phase = "Running", PodIP = ip.ToString() } }), V1Patch.PatchType.MergePatch),
            name, ns, cancellationToken: cancel);
        var token = await Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = ["k8s-ws-proxy"],
                BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = name, Uid = pod.Metadata.Uid },
            },
        }, "default", ns, cancellationToken: cancel);
        return token.Status.Token;
    }

    /// <param name="program">A .NET app's dll (run with dotnet) or an executable (the shipped sidecar).</param>
    private ManagedProcess Start(string name, string cpus, string program, string logFile, Dictionary<string, string>? env, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_gcServer"] = "0",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (k, v) in env ?? [])
        {
            environment[k] = v;
        }

        string[] command = program.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", program] : [program];
        var process = ManagedProcess.Start(name, "taskset", ["-c", cpus, .. command, .. args], Path.Combine(Directory, logFile), environment);
        processes.Add(process);
        return process;
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        // Sidecars first (they would only retry the channel), then the operator, then the API.
        await Task.WhenAll(processes.Skip(2).Select(p => p.StopAsync(Signals.Term, TimeSpan.FromSeconds(5))));
        foreach (var p in processes.Take(2).Reverse())
        {
            await p.StopAsync(Signals.Term, TimeSpan.FromSeconds(5));
        }

        Client?.Dispose();
    }
}
