namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>One operator replica as a process; restartable on the same ports, so sidecars find it again.</summary>
public sealed class OperatorUnderTest(string identity, string kubeconfig, string certFile, string keyFile) : IDisposable
{
    private string _previousOutput = "";

    public string Identity => identity;

    public string CertFile => certFile;

    public string KeyFile => keyFile;

    public int Port { get; } = Ports.Free(IPAddress.Loopback);

    public int HealthPort { get; } = Ports.Free(IPAddress.Loopback);

    public Uri ChannelUrl => new($"wss://127.0.0.1:{Port}/v1/channel");

    public ServiceProcess? Process { get; private set; }

    /// <summary>Every log line of every run of this replica, so a test can look for what must never be logged.</summary>
    public string AllOutput => _previousOutput + (Process?.Output ?? "");

    public async Task StartAsync()
    {
        if (Process is not null)
        {
            _previousOutput += Process.Output;
            Process.Dispose();
        }

        Process = ServiceProcess.Start("K8sWsProxy.Operator.dll",
        [
            "--kubeconfig", kubeconfig,
            "--tls-cert", certFile,
            "--tls-key", keyFile,
            "--listen", $"127.0.0.1:{Port}",
            "--health-listen", $"127.0.0.1:{HealthPort}",
            "--identity", identity,
            "--leader-election-namespace", ProxyCluster.OperatorNamespace,
            "--lease-duration", "4s",
            "--renew-deadline", "3s",
            "--retry-period", "300ms",
            "--resync", "30s",
            "--inject-image", "k8s-ws-proxy/sidecar:0.1.0",
            "--inject-operator-url", $"wss://{ProxyCluster.OperatorHost}:9443/v1/channel",
        ]);
        await Process.WaitReadyAsync();
    }

    public void Dispose() => Process?.Dispose();
}
