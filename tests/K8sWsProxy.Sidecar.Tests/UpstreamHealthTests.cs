using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Sidecar.Channel;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Tls;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The health report: an endpoint is listed while its last failure is recent, so a flapping one stays listed.</summary>
public sealed class UpstreamHealthTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ActiveConfig _config;

    public UpstreamHealthTests()
    {
        const string Yaml = """
            routes:
              - {name: chat, namespace: demo, match: {path: /chat}, upstream: {endpoints: [{url: "ws://127.0.0.1:1/a"}, {url: "ws://127.0.0.1:2/b"}]}}
              - {name: quiet, namespace: demo, match: {path: /quiet}, upstream: {endpoints: [{url: "ws://127.0.0.1:3/c"}]}}
            """;
        _config = new ActiveConfig(TestSidecar.Parse(Yaml), TestSidecar.Runtimes(Yaml).ToDictionary(r => r.Key), CertificateSet.Empty);
    }

    private void Fail(int endpoint, string error) => _config.Routes["demo/chat"].Endpoints[endpoint].Failed(_time.GetTimestamp(), error);

    [Fact]
    public void A_failure_is_listed_for_the_window_and_then_forgotten()
    {
        Assert.Empty(UpstreamHealth.Failing(_config, _time));

        Fail(0, "Connection refused");
        var failing = UpstreamHealth.Failing(_config, _time);
        Assert.Equal(["demo/chat"], failing.Keys);
        Assert.Equal(new Dictionary<string, string> { ["ws://127.0.0.1:1/a"] = "Connection refused" }, failing["demo/chat"]);

        _time.Advance(ChannelProtocol.HealthWindow - TimeSpan.FromSeconds(1));
        Assert.Single(UpstreamHealth.Failing(_config, _time));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(UpstreamHealth.Failing(_config, _time));
    }

    [Fact]
    public void A_flapping_endpoint_stays_listed_and_a_new_wording_is_not_news()
    {
        Fail(1, "answered the handshake with 503");
        var first = UpstreamHealth.Failing(_config, _time);
        for (var i = 0; i < 10; i++)
        {
            // One failure every 30 s, successes between: never 60 s without one.
            _time.Advance(TimeSpan.FromSeconds(30));
            Fail(1, i % 2 == 0 ? "Connection refused" : "answered the handshake with 503");
            var now = UpstreamHealth.Failing(_config, _time);
            Assert.True(UpstreamHealth.SameEndpoints(first, now));
        }

        Fail(0, "Connection refused");
        Assert.False(UpstreamHealth.SameEndpoints(first, UpstreamHealth.Failing(_config, _time)));
    }
}
