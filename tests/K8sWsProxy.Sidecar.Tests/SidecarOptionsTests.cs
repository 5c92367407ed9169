using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The sidecar's command line: what the container's args may say, and how a mistake is reported.</summary>
public sealed class SidecarOptionsTests
{
    [Fact]
    public void Every_problem_is_listed_with_the_option_it_concerns()
    {
        var (options, errors) = SidecarOptions.Parse(
            ["--config", "a.yaml", "--listen", "nowhere", "--frame-tracking", "maybe", "--shutdown-timeout", "soon", "--bogus", "x", "--admin", "1.2.3.4:5", "--admin", "1.2.3.4:6", "--state-dir"]);

        Assert.Null(options);
        Assert.Equal(
            [
                "--admin: given more than once",
                "--bogus: unknown option",
                "--frame-tracking: 'maybe' must be on or off",
                "--listen: 'nowhere' is not ADDRESS:PORT (e.g. 127.0.0.1:8080)",
                "--shutdown-timeout: 'soon' is not a duration (e.g. 30s)",
                "--state-dir: missing value",
            ],
            errors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_stray_word_is_refused_and_an_unknown_options_value_is_not_reported_twice() =>
        Assert.Equal(["'stray': not an option (options are --name value)", "--bogus: unknown option"], SidecarOptions.Parse(["--config", "a.yaml", "stray", "--bogus", "x"]).Errors);

    [Fact]
    public void Values_are_read_and_defaults_kept()
    {
        var (options, errors) = SidecarOptions.Parse(["--config", "a.yaml", "--listen", "127.0.0.1:0", "--listen-tls", "off", "--frame-tracking", "off", "--shutdown-timeout", "2s"]);

        Assert.Empty(errors);
        Assert.Equal(("a.yaml", "127.0.0.1:0", null, false, TimeSpan.FromSeconds(2)), (options!.ConfigFile, options.Listen.ToString(), options.ListenTls, options.FrameTracking, options.ShutdownTimeout));
        Assert.Equal(("127.0.0.1:9901", "/var/run/secrets/k8s-ws-proxy/token"), (options.Admin.ToString(), options.TokenFile));
        Assert.Equal("127.0.0.1:8443", SidecarOptions.Parse(["--state-dir", "/s", "--listen-tls", "127.0.0.1:8443"]).Options!.ListenTls!.ToString());
    }

    [Theory]
    [InlineData("--config, --operator or --state-dir: one is required")]
    [InlineData("--config and --operator: one source of documents, not both", "--config", "a.yaml", "--operator", "wss://op:9443/v1/channel")]
    public void A_document_source_is_required_and_only_one(string expected, params string[] args) =>
        Assert.Equal([expected], SidecarOptions.Parse(args).Errors);
}
