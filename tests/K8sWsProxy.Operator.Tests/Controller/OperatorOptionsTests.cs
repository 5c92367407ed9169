using K8sWsProxy.Operator.Hosting;

namespace K8sWsProxy.Operator.Tests.Controller;

public sealed class OperatorOptionsTests
{
    private static readonly string Existing = typeof(OperatorOptionsTests).Assembly.Location;

    private static (OperatorOptions? Options, IReadOnlyList<string> Errors) Parse(Dictionary<string, string>? environment, params string[] args) =>
        OperatorOptions.Parse(args, name => environment?.GetValueOrDefault(name));

    [Fact]
    public void Flags_win_over_the_environment_and_conventional_variables_are_honoured()
    {
        var environment = new Dictionary<string, string>
        {
            ["OPERATOR_TLS_CERT"] = Existing,
            ["OPERATOR_TLS_KEY"] = Existing,
            ["OPERATOR_NAMESPACES"] = "a,b",
            ["POD_NAME"] = "operator-7f9",
            ["POD_NAMESPACE"] = "system",
            ["KUBECONFIG"] = Existing,
        };
        var (options, errors) = Parse(environment, "--namespaces", "demo", "--listen", "127.0.0.1:0", "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "100ms");

        Assert.Empty(errors);
        Assert.Equal(["demo"], options!.Namespaces);
        Assert.Equal("127.0.0.1:0", options.Listen.ToString());
        Assert.Equal(("operator-7f9", "system", Existing), (options.Identity, options.LeaderElectionNamespace, options.Kubeconfig));
        Assert.Equal(TimeSpan.FromSeconds(3), options.LeaseDuration);
    }

    [Fact]
    public void Every_bad_value_is_reported_with_its_option()
    {
        var (options, errors) = Parse(null, "--listen", "nowhere", "--namespaces", "Demo_1", "--workers", "0", "--resync", "soon", "--tls-cert", "/no/such.pem", "--bogus", "x",
            "--inject-operator-url", "https://op:9443/v1/channel", "--inject-ca-configmap", "CA_Bundle", "--native-sidecars", "maybe");

        Assert.Null(options);
        Assert.Contains("--listen: 'nowhere' is not ADDRESS:PORT (e.g. 0.0.0.0:9443)", errors);
        Assert.Contains(errors, e => e.StartsWith("--namespaces: 'Demo_1' is not a namespace name", StringComparison.Ordinal));
        Assert.Contains("--workers: '0' is not a number from 1 to 64", errors);
        Assert.Contains(errors, e => e.StartsWith("--resync: 'soon'", StringComparison.Ordinal));
        Assert.Contains("--tls-cert and --tls-key: both are required (the config channel is TLS only)", errors);
        Assert.Contains("--tls-cert: /no/such.pem does not exist", errors);
        Assert.Contains("--bogus: unknown option", errors);
        Assert.Contains("--inject-operator-url: 'https://op:9443/v1/channel' is not a wss:// URL (e.g. wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel)", errors);
        Assert.Contains("--inject-ca-configmap: 'CA_Bundle' is not a ConfigMap name", errors);
        Assert.Contains("--native-sidecars: 'maybe' must be auto, true or false", errors);
    }

    [Fact]
    public void Injection_is_off_by_default_and_its_defaults_are_the_channels()
    {
        var (options, errors) = Parse(null, "--tls-cert", Existing, "--tls-key", Existing);

        Assert.Empty(errors);
        Assert.False(options!.Injection.Enabled);
        Assert.Equal(("k8s-ws-proxy-ca", null), (options.Injection.CaConfigMap, options.Injection.NativeSidecars));
    }

    [Fact]
    public void Injection_flags_and_variables_and_the_labels_of_the_sidecar_selector()
    {
        var environment = new Dictionary<string, string>
        {
            ["OPERATOR_INJECT_IMAGE"] = "registry.example/sidecar:1.2",
            ["OPERATOR_INJECT_OPERATOR_URL"] = "wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel",
            ["OPERATOR_NATIVE_SIDECARS"] = "true",
        };
        var (options, errors) = Parse(environment, "--tls-cert", Existing, "--tls-key", Existing, "--native-sidecars", "false",
            "--inject-ca-configmap", "channel-ca.v2", "--sidecar-selector", "app.kubernetes.io/part-of==chat, wsproxy=on");

        Assert.Empty(errors);
        var injection = options!.Injection;
        Assert.Equal(("registry.example/sidecar:1.2", "wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel"), (injection.Image, injection.OperatorUrl));
        Assert.Equal(("channel-ca.v2", false), (injection.CaConfigMap, injection.NativeSidecars));
        Assert.Equal(new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "chat", ["wsproxy"] = "on" }, injection.SidecarLabels);
    }

    [Theory]
    [InlineData("k8swsproxy.io/sidecar!=false")]
    [InlineData("tier in (web)")]
    [InlineData("k8swsproxy.io/sidecar")]
    public void Injection_needs_an_operator_url_and_a_selector_it_can_label_pods_for(string selector)
    {
        var (_, errors) = Parse(null, "--tls-cert", Existing, "--tls-key", Existing, "--inject-image", "sidecar:1", "--sidecar-selector", selector);

        Assert.Contains("--inject-operator-url: required with --inject-image (the channel URL injected sidecars dial)", errors);
        Assert.Contains("--sidecar-selector: with --inject-image it must be key=value terms only (the labels written onto injected pods)", errors);
    }

    [Fact]
    public void Leader_election_timings_must_nest()
    {
        var (_, errors) = Parse(null, "--tls-cert", Existing, "--tls-key", Existing, "--lease-duration", "2s", "--renew-deadline", "2s");

        Assert.Contains("--renew-deadline: must be shorter than --lease-duration", errors);
    }
}
