using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Bench.Tests;

public class TemplateTests
{
    private static readonly string ConfigDir = Path.Combine(AppContext.BaseDirectory, "configs");

    private static string Load(string name) => File.ReadAllText(Path.Combine(ConfigDir, name));

    [Fact]
    public void EveryPlaceholderMustHaveAValue()
    {
        Assert.Equal("listen 8080; x", Templates.Render("listen {{PORT}}; x", new Dictionary<string, string> { ["PORT"] = "8080" }));
        var e = Assert.Throws<ArgumentException>(() => Templates.Render("{{A}} {{B}} {{B}}", new Dictionary<string, string> { ["A"] = "1" }));
        Assert.Equal("no value for B", e.Message);
    }

    [Fact]
    public void RepeatNumbersEachCopy()
    {
        Assert.Equal("r1;r2;r3;", Templates.Repeat("r{{N}};", 3, new Dictionary<string, string>()));
    }

    private static readonly SystemSettings Settings = new("/repo", "/tmp/bench", "0", 19000, 20000);

    [Fact]
    public void NginxConfigIsOneWorkerWithWebSocketHeaders()
    {
        var nginx = new Nginx(Settings);
        var conf = nginx.Config(7);
        Assert.Contains("worker_processes 1;", conf, StringComparison.Ordinal);
        Assert.Contains($"listen 127.0.0.1:{nginx.Target.EndPoint.Port}", conf, StringComparison.Ordinal);
        Assert.Contains("server 127.0.0.1:19000;", conf, StringComparison.Ordinal);
        Assert.Contains("worker_connections 19950;", conf, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", conf, StringComparison.Ordinal);
        Assert.Contains("location /reload-7 {", conf, StringComparison.Ordinal);
        Assert.DoesNotContain("reload-", nginx.Config(null), StringComparison.Ordinal);
        Assert.Equal(conf.Count(c => c == '{'), conf.Count(c => c == '}'));
    }

    [Fact]
    public void HaproxyConfigIsOneThreadWithTunnelTimeout()
    {
        var haproxy = new Haproxy(Settings);
        var conf = haproxy.Config(3);
        Assert.Contains("nbthread 1", conf, StringComparison.Ordinal);
        Assert.Contains("maxconn 9950", conf, StringComparison.Ordinal);
        Assert.Contains("timeout tunnel 1h", conf, StringComparison.Ordinal);
        Assert.Contains($"bind 127.0.0.1:{haproxy.Target.EndPoint.Port}", conf, StringComparison.Ordinal);
        Assert.Contains("use_backend echo if reload_3", conf, StringComparison.Ordinal);
        Assert.Contains($"pidfile /tmp/bench/haproxy-{haproxy.Target.EndPoint.Port}/haproxy.pid", conf, StringComparison.Ordinal);
    }

    [Fact]
    public void SidecarDocumentHasTheEchoRouteAndTheReloadRoute()
    {
        var extra = Templates.Render(Load("sidecar-extra-route.yaml.tmpl"), new Dictionary<string, string> { ["N"] = "12", ["UPSTREAM_PORT"] = "19000" });
        var doc = Templates.Render(Load("sidecar.yaml.tmpl"), new Dictionary<string, string>
        {
            ["UPSTREAM_PORT"] = "19000",
            ["ECHO_UPSTREAM"] = "",
            ["ECHO_ROUTE"] = "",
            ["EXTRA_ROUTES"] = extra,
            ["TLS"] = "",
        });
        Assert.Contains("url: \"ws://127.0.0.1:19000/echo\"", doc, StringComparison.Ordinal);
        Assert.Contains("  - name: reload-12", doc, StringComparison.Ordinal);
        Assert.Contains("maxConnections: 0", doc, StringComparison.Ordinal);
        Assert.DoesNotContain("keepAliveInterval:", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void MessagesVariantsPutTheirRuleOnTheEchoRouteAndOnLostUnderItsUpstream()
    {
        string Render(EchoRoute route) => Templates.Render(Load("sidecar.yaml.tmpl"), new Dictionary<string, string>
        {
            ["UPSTREAM_PORT"] = "19000",
            ["ECHO_UPSTREAM"] = route.Upstream,
            ["ECHO_ROUTE"] = route.Route,
            ["EXTRA_ROUTES"] = "",
            ["TLS"] = "",
        });
        RouteConfig Route(EchoRoute variant)
        {
            var loaded = ConfigDocumentLoader.Parse(Render(variant), null);
            Assert.True(loaded.Ok, string.Join("; ", loaded.Errors));
            return loaded.Document!.Routes.Single();
        }

        var rule = Route(EchoRoute.OneRule);
        var probe = Assert.Single(rule.Messages!.Rules);
        Assert.Equal(("probe", "__never__", RuleAction.Drop, RuleDirection.Both), (probe.Name, probe.Match.Exact, probe.Action, probe.Direction));
        Assert.Null(rule.Upstream.OnLost); // not set: a lost upstream closes the client

        var reconnect = Route(EchoRoute.Reconnect);
        Assert.Equal((UpstreamLost.Reconnect, "ws://127.0.0.1:19000/echo"), (reconnect.Upstream.OnLost, reconnect.Upstream.Endpoints.Single().Url));
        Assert.Null(reconnect.Messages);
        Assert.Equal("sidecar, one rule", new Sidecar(Settings, echoRoute: EchoRoute.OneRule).Name);
    }

    [Fact]
    public void AtomicWriteReplacesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.yaml");
        try
        {
            Templates.WriteAtomically(path, "a");
            Templates.WriteAtomically(path, "b");
            Assert.Equal("b", File.ReadAllText(path));
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
