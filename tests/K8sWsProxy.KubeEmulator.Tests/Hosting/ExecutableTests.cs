namespace K8sWsProxy.KubeEmulator.Tests.Hosting;

/// <summary>The emulator as the playground starts it: a process that prints its URL and writes a kubeconfig.</summary>
public sealed class ExecutableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kube-emulator-exe-").FullName;
    private static readonly string Emulator = Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.KubeEmulator.dll");
    private ChildProcess? _process;

    [Fact]
    public async Task Starts_on_a_free_port_with_preloaded_CRDs_and_serves_kubectl()
    {
        var kubeconfig = Path.Combine(_folder, "kubeconfig");
        _process = ChildProcess.Start("dotnet", [Emulator, "--port", "0", "--kubeconfig", kubeconfig, "--preload", TestEmulator.TestData("websocketroute-chat.yaml"), "--preload", TestEmulator.TestData("websocketroute-crd.yaml"),
            "--service-address", "hook.demo.svc:443=127.0.0.1:8443"]);
        Assert.Equal(kubeconfig, await _process.LineAsync("kubeconfig: ", TimeSpan.FromSeconds(30)));
        Assert.Matches(@"^kube-emulator listening on http://127\.0\.0\.1:\d+/$", _process.Stdout.Split('\n')[0]);

        // The route was preloaded after its CRD although it was named first.
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var route = TestEmulator.ToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync(
            TestEmulator.RouteGroup, TestEmulator.RouteVersion, "default", TestEmulator.RoutePlural, "chat"));
        Assert.Equal("/ws", route["spec"]!["match"]!["path"]!.ToString());

        using var kubectl = new Kubectl(kubeconfig);
        var get = await kubectl.RunAsync("get", "wsr", "chat", "-o", "name");
        Assert.Equal("websocketroute.k8swsproxy.io/chat", get.Stdout.Trim());
    }

    [Theory]
    [InlineData(2, "usage:", "--bogus")]
    [InlineData(2, "usage:", "--service-address", "hook.demo.svc:443")]
    [InlineData(1, "cannot start: a service address must be on 127.0.0.0/8; got 10.0.0.1:8443 for hook.demo.svc:443", "--service-address", "hook.demo.svc:443=10.0.0.1:8443")]
    [InlineData(1, "cannot start: a service address is HOST:PORT", "--service-address", "hook.demo.svc=127.0.0.1:8443")]
    [InlineData(1, "WebSocketRoute.k8swsproxy.io \"broken\" is invalid", "--preload", "testdata/websocketroute-crd.yaml", "--preload", "testdata/websocketroute-invalid.yaml")]
    public async Task Refuses_bad_arguments_and_bad_preloads_with_a_message(int exitCode, string message, params string[] args)
    {
        _process = ChildProcess.Start("dotnet", [Emulator, .. args], workingDirectory: AppContext.BaseDirectory);
        Assert.Equal(exitCode, await _process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, _process.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _process?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
