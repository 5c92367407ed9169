using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using K8sWsProxy.KubeEmulator;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// Real operator hosts, in-process, against one API emulator (which reports Kubernetes 1.32), serving a certificate
/// from a test CA; and a client that trusts that CA only, as the API server trusts a webhook's caBundle.
/// </summary>
internal sealed class InProcessOperators : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wsproxy-operator-host-").FullName;
    private readonly List<OperatorHost> _hosts = [];
    private readonly KubeApiEmulator _kube;

    private InProcessOperators(KubeApiEmulator kube)
    {
        _kube = kube;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kube.KubeconfigPath));
    }

    /// <summary>A client of the emulator, as the cluster's admin.</summary>
    public Kubernetes Client { get; }

    public TestCertificates Authority { get; } = new("operator-host-test-ca");

    /// <param name="clock">The emulator's clock (token expiry); the real one by default.</param>
    public static async Task<InProcessOperators> StartAsync(TimeProvider? clock = null) =>
        new(await KubeApiEmulator.StartAsync(new KubeEmulatorOptions
        {
            Preload = { Path.Combine(RepoPaths.Root, "crds", "websocketroutes.k8swsproxy.io.yaml") },
            Clock = clock ?? TimeProvider.System,
        }));

    /// <summary>An operator with the defaults changed by <paramref name="configure"/>: its TLS (channel and webhook) and health addresses.</summary>
    public async Task<(Uri Tls, Uri Health)> StartOperatorAsync(Func<OperatorOptions, OperatorOptions> configure)
    {
        var serving = Authority.Issue("k8s-ws-proxy-operator", "localhost");
        var cert = Path.Combine(_directory, "tls.crt");
        var key = Path.Combine(_directory, "tls.key");
        await File.WriteAllTextAsync(cert, serving.CertificatePem);
        await File.WriteAllTextAsync(key, serving.KeyPem);
        var host = await OperatorHost.StartAsync(configure(new OperatorOptions
        {
            Kubeconfig = _kube.KubeconfigPath,
            Listen = Ports.Any,
            HealthListen = Ports.Any,
            TlsCertificateFile = cert,
            TlsKeyFile = key,
            Identity = "in-process",
        }));
        _hosts.Add(host);
        return (new Uri(host.Addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal))),
            new Uri(host.Addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal))));
    }

    public HttpClient Trusting() => new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = Trusts } });

    /// <summary>Whether <paramref name="certificate"/> chains to the test CA (and is otherwise valid).</summary>
    public bool Trusts(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        Client.Dispose();
        await _kube.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
