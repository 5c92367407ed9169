using k8s;
using k8s.Models;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.EchoServer;
using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Routes;
using Microsoft.AspNetCore.Builder;

namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>
/// The shared world of the end-to-end tests: the API emulator (in-process), a private CA and the operator's serving
/// certificate, two echo upstreams (a and b), one operator replica, and three sidecar processes on 127.0.0.2, .3 and
/// .4, each registered as a Pod of namespace demo with that IP and given a pod-bound token (audience k8s-ws-proxy).
/// Tests share it one after another and leave no routes behind.
/// </summary>
public sealed class ProxyCluster : IAsyncLifetime
{
    public const string Namespace = "demo";
    public const string SidecarLabel = "k8swsproxy.io/sidecar";

    /// <summary>The chart's release, namespace and ServiceAccount, as the quick start installs it.</summary>
    public const string OperatorNamespace = "k8s-ws-proxy";
    public const string OperatorAccount = "k8s-ws-proxy";

    /// <summary>The operator's Service name: where sidecars dial and the API server calls the webhook.</summary>
    public const string OperatorHost = "k8s-ws-proxy.k8s-ws-proxy.svc";

    private readonly string _directory = Directory.CreateTempSubdirectory("wsproxy-e2e-").FullName;
    private readonly List<WebApplication> _echoes = [];

    public KubeApiEmulator Kube { get; private set; } = null!;

    public Kubernetes Client { get; private set; } = null!;

    internal Kubectl Kubectl { get; private set; } = null!;

    public TestCertificates Authority { get; } = new("k8s-ws-proxy-test-ca");

    public string CaFile => Path.Combine(_directory, "ca.crt");

    public int EchoA { get; private set; }

    public int EchoB { get; private set; }

    /// <summary>What the operators run with: the chart's ServiceAccount.</summary>
    public string OperatorKubeconfig { get; private set; } = "";

    public List<OperatorUnderTest> Operators { get; } = [];

    public List<SidecarUnderTest> Sidecars { get; } = [];

    /// <summary>Where the sidecars dial: the first replica (restarted on the same port when a test kills it).</summary>
    public Uri ChannelUrl => Operators[0].ChannelUrl;

    public async Task InitializeAsync()
    {
        Kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions
        {
            Preload = { Path.Combine(RepositoryPaths.Root, "crds", "websocketroutes.k8swsproxy.io.yaml") },
            BookmarkInterval = TimeSpan.FromMilliseconds(500),
        });
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kube.KubeconfigPath));
        Kubectl = new Kubectl(Kube.KubeconfigPath);
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });

        // Valid for the Service's name too: the API server calls the injection webhook by it.
        var serving = Authority.Issue("k8s-ws-proxy-operator", "localhost", OperatorHost);
        await File.WriteAllTextAsync(CaFile, Authority.CaPem);
        var certFile = Path.Combine(_directory, "operator.crt");
        var keyFile = Path.Combine(_directory, "operator.key");
        await File.WriteAllTextAsync(certFile, serving.CertificatePem);
        await File.WriteAllTextAsync(keyFile, serving.KeyPem);

        EchoA = await StartEchoAsync("a");
        EchoB = await StartEchoAsync("b");

        OperatorKubeconfig = await InstallChartAsync();
        Operators.Add(new OperatorUnderTest("op-a", OperatorKubeconfig, certFile, keyFile));
        await Operators[0].StartAsync();
        Kube.AddServiceAddress($"{OperatorHost}:9443", new IPEndPoint(IPAddress.Loopback, Operators[0].Port));

        for (var i = 0; i < 3; i++)
        {
            var ip = IPAddress.Parse($"127.0.0.{i + 2}");
            var name = $"chat-{i}";
            var token = await CreateSidecarPodAsync(name, ip);
            var tokenFile = Path.Combine(_directory, name + ".token");
            await File.WriteAllTextAsync(tokenFile, token);
            Sidecars.Add(new SidecarUnderTest(name, ip, tokenFile, Path.Combine(_directory, name + "-state"), () => ChannelUrl, CaFile));
        }

        Sidecars.ForEach(s => s.Start());
        await Task.WhenAll(Sidecars.Select(s => s.Process!.WaitReadyAsync()));
        foreach (var sidecar in Sidecars)
        {
            await Poll.UntilAsync(async () => await sidecar.ReadyAsync() == HttpStatusCode.OK, $"{sidecar.PodName} to get its first document", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// The chart installed with the real helm, and a kubeconfig with a token of its ServiceAccount: the operators run
    /// with exactly the permissions the chart grants, so a missing RBAC rule fails a test.
    /// </summary>
    private async Task<string> InstallChartAsync()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OperatorNamespace } });
        using (var helm = new Helm(Kube.KubeconfigPath))
        {
            // The serving certificate is the test CA's (a managed Secret, as with cert-manager), so the webhook
            // configuration trusts it and sidecars in demo find that CA in their namespace.
            await helm.OkAsync("install", OperatorAccount, Helm.Chart, "--namespace", OperatorNamespace,
                "--set", "channel.tls.secretName=k8s-ws-proxy-test-tls", "--set-file", "channel.tls.caCert=" + CaFile, "--set", $"caConfigMap.namespaces={{{Namespace}}}", "--set", "injection.failurePolicy=Fail");
        }

        var token = await Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 24 * 3600 } }, OperatorAccount, OperatorNamespace);
        var kubeconfig = Path.Combine(_directory, "operator.kubeconfig");
        Kube.WriteKubeconfig(kubeconfig, token.Status.Token, OperatorNamespace);
        return kubeconfig;
    }

    /// <summary>A pod with a sidecar, as the kubelet would report it (Running, with its IP), and a token bound to it.</summary>
    public async Task<string> CreateSidecarPodAsync(string name, IPAddress ip, string audience = ChannelProtocol.Audience, bool sidecar = true)
    {
        var labels = new Dictionary<string, string> { ["app"] = "chat" };
        if (sidecar)
        {
            labels[SidecarLabel] = "true";
        }

        var pod = await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1PodSpec { ServiceAccountName = "default", Containers = [new V1Container { Name = "app", Image = "echo" }] },
        }, Namespace);
        await Client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Pod { Status = new V1PodStatus { Phase = "Running", PodIP = ip.ToString() } }), V1Patch.PatchType.MergePatch), name, Namespace);
        return await TokenAsync(pod, audience);
    }

    public async Task<string> TokenAsync(V1Pod pod, string audience = ChannelProtocol.Audience) =>
        (await Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = [audience],
                BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            },
        }, "default", Namespace)).Status.Token;

    /// <summary>examples/route.yaml as shipped, its two upstreams pointed at the echo servers a and b.</summary>
    public string ExampleRoute() => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "examples", "route.yaml"))
        .Replace("ws://127.0.0.1:8080/socket", $"ws://127.0.0.1:{EchoA}/socket", StringComparison.Ordinal)
        .Replace("wss://chat-backend.demo.svc:8443/socket", $"ws://127.0.0.1:{EchoB}/socket", StringComparison.Ordinal);

    /// <summary>examples/message-rules-route.yaml as shipped, its endpoints the echo servers a and b, answering snot with <paramref name="answer"/>.</summary>
    public string MessageRulesRoute(string answer = "badger") => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "examples", "message-rules-route.yaml"))
        .Replace("ws://127.0.0.1:8080/", $"ws://127.0.0.1:{EchoA}/", StringComparison.Ordinal)
        .Replace("ws://127.0.0.1:8081/", $"ws://127.0.0.1:{EchoB}/", StringComparison.Ordinal)
        .Replace("text: badger", $"text: {answer}", StringComparison.Ordinal);

    /// <summary>The example route with one more Origin allowed: a new generation and a new revision, same traffic.</summary>
    public string EditedExampleRoute(int n) => ExampleRoute().Replace("allowedOrigins: [\"https://chat.example.com\"]", $"allowedOrigins: [\"https://chat.example.com\", \"https://edit-{n}.example.com\"]", StringComparison.Ordinal);

    /// <summary>
    /// Applies route "down" (path /down) to an endpoint where nothing listens, waits until every sidecar serves it,
    /// and makes one connection through each: each answers 502 and remembers the endpoint as failing.
    /// </summary>
    /// <returns>The endpoint's URL.</returns>
    public async Task<string> FailAnUpstreamOnEverySidecarAsync()
    {
        var url = $"ws://127.0.0.1:{Ports.Free()}/down";
        await ApplyAsync($$$"""
            apiVersion: k8swsproxy.io/v1alpha1
            kind: WebSocketRoute
            metadata: {name: down, namespace: {{{Namespace}}}}
            spec:
              selector: {matchLabels: {app: chat}}
              match: {path: /down}
              upstream: {endpoints: [{url: "{{{url}}}"}], retry: {attempts: 1}}
            """);
        await WaitForRouteAsync("down", r => IsReady(r, 3, 3), "3/3 Ready");
        foreach (var sidecar in Sidecars)
        {
            Assert.Equal(HttpStatusCode.BadGateway, await Ws.RefusedStatusAsync(sidecar.PlainUrl("/down")));
        }

        return url;
    }

    /// <summary>kubectl apply -f - with <paramref name="yaml"/>; fails the test unless kubectl succeeds.</summary>
    public async Task ApplyAsync(string yaml)
    {
        var result = await Kubectl.RunWithInputAsync(yaml, "apply", "-f", "-");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    public async Task<WebSocketRoute?> RouteAsync(string name)
    {
        try
        {
            var json = await Client.CustomObjects.GetNamespacedCustomObjectAsync(WebSocketRoute.Group, WebSocketRoute.Version, Namespace, WebSocketRoute.Plural, name);
            return KubernetesJson.Deserialize<WebSocketRoute>(KubernetesJson.Serialize(json));
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Polls the route until <paramref name="condition"/> holds; returns it.</summary>
    public async Task<WebSocketRoute> WaitForRouteAsync(string name, Func<WebSocketRoute, bool> condition, string what, TimeSpan? timeout = null)
    {
        WebSocketRoute? route = null;
        try
        {
            await Poll.UntilAsync(async () => (route = await RouteAsync(name)) is { } r && condition(r), $"{name}: {what}", timeout ?? TimeSpan.FromSeconds(20));
        }
        catch (Xunit.Sdk.XunitException e)
        {
            var logs = AllLogs();
            throw new Xunit.Sdk.XunitException($"{e.Message}; last status: {KubernetesJson.Serialize(route?.Status)}\nlogs:\n{logs[Math.Max(0, logs.Length - 6000)..]}");
        }

        return route!;
    }

    public static bool IsReady(WebSocketRoute route, int synced, int selected) =>
        route.Status is { } s
        && s.ObservedGeneration == route.Metadata.Generation
        && s.Sidecars.Synced == synced && s.Sidecars.Selected == selected
        && s.Conditions.Any(c => c.Type == "Ready" && c.Status == (synced == selected && selected > 0 ? "True" : "False"));

    public async Task DeleteRoutesAsync()
    {
        await Kubectl.RunAsync("delete", "wsr", "--all", "-n", Namespace, "--wait=false");
        foreach (var sidecar in Sidecars.Where(s => s.Process is { HasExited: false }))
        {
            await Poll.UntilAsync(async () => (await sidecar.RoutesAsync()).Count == 0, $"{sidecar.PodName} to drop every route", TimeSpan.FromSeconds(15));
        }
    }

    /// <summary>Everything the operator replicas and sidecars have logged so far.</summary>
    public string AllLogs() =>
        string.Concat(Operators.Select(o => o.AllOutput)) + string.Concat(Sidecars.Select(s => s.Process?.Output ?? ""));

    public async Task DisposeAsync()
    {
        Sidecars.ForEach(s => s.Dispose());
        Operators.ForEach(o => o.Dispose());
        foreach (var echo in _echoes)
        {
            await echo.DisposeAsync();
        }

        Kubectl?.Dispose();
        if (Kube is not null)
        {
            await Kube.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task<int> StartEchoAsync(string name)
    {
        var echo = EchoServerApp.Build(new EchoServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Name = name });
        await echo.StartAsync();
        _echoes.Add(echo);
        return new Uri(echo.Urls.First()).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ProxyClusterCollection : ICollectionFixture<ProxyCluster>
{
    public const string Name = "proxy cluster";
}
