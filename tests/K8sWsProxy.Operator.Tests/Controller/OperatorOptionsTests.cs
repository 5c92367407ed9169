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
        var (options, errors) = Parse(null, "--listen", "nowhere", "--namespaces", "Demo_1", "--workers", "0", "--resync", "soon", "--tls-cert", "/no/such.pem", "--bogus", "x");

        Assert.Null(options);
        Assert.Contains("--listen: 'nowhere' is not ADDRESS:PORT (e.g. 0.0.0.0:9443)", errors);
        Assert.Contains(errors, e => e.StartsWith("--namespaces: 'Demo_1' is not a namespace name", StringComparison.Ordinal));
        Assert.Contains("--workers: '0' is not a number from 1 to 64", errors);
        Assert.Contains(errors, e => e.StartsWith("--resync: 'soon'", StringComparison.Ordinal));
        Assert.Contains("--tls-cert and --tls-key: both are required (the config channel is TLS only)", errors);
        Assert.Contains("--tls-cert: /no/such.pem does not exist", errors);
        Assert.Contains("--bogus: unknown option", errors);
    }

    [Fact]
    public void Leader_election_timings_must_nest()
    {
        var (_, errors) = Parse(null, "--tls-cert", Existing, "--tls-key", Existing, "--lease-duration", "2s", "--renew-deadline", "2s");

        Assert.Contains("--renew-deadline: must be shorter than --lease-duration", errors);
    }
}
