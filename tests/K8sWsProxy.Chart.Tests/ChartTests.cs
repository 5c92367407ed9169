using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Chart.Tests;

/// <summary>
/// The Helm chart, rendered by the real helm: it lints, it ships the same CRD, dashboard and alert rules as the
/// repository, its RBAC covers what the operator calls, and the arguments it (and the sidecar example) passes are
/// ones the programs accept.
/// </summary>
public sealed class ChartTests
{
    private static readonly string Root = RepositoryPaths.Root;
    private static readonly string ChartDir = Helm.Chart;

    private static async Task<string> RunHelmAsync(params string[] args)
    {
        using var helm = new Helm();
        return await helm.OkAsync(args);
    }

    private static async Task<List<JsonObject>> RenderAsync(params string[] sets)
    {
        var args = new List<string> { "template", "demo", ChartDir, "--namespace", "wsproxy" };
        foreach (var set in sets)
        {
            args.Add("--set");
            args.Add(set);
        }

        return [.. YamlToJson.ConvertAll(await RunHelmAsync([.. args])).OfType<JsonObject>()];
    }

    private static JsonObject Single(List<JsonObject> manifests, string kind) => Assert.Single(manifests, m => (string?)m["kind"] == kind);

    [Fact]
    public async Task The_chart_lints_clean() => Assert.Contains("0 chart(s) failed", await RunHelmAsync("lint", ChartDir), StringComparison.Ordinal);

    [Fact]
    public void The_chart_ships_the_repository_crd() =>
        Assert.Equal(File.ReadAllText(Path.Combine(Root, "crds", "websocketroutes.k8swsproxy.io.yaml")), File.ReadAllText(Path.Combine(ChartDir, "crds", "websocketroutes.k8swsproxy.io.yaml")));

    [Fact]
    public async Task Rbac_grants_what_the_operator_calls()
    {
        var manifests = await RenderAsync();
        var rules = manifests.Where(m => (string?)m["kind"] is "ClusterRole" or "Role").SelectMany(m => m["rules"]!.AsArray()).ToList();
        bool Allows(string group, string resource, string verb) => rules.Any(r =>
            r!["apiGroups"]!.AsArray().Any(g => (string?)g == group)
            && r["resources"]!.AsArray().Any(x => (string?)x == resource)
            && r["verbs"]!.AsArray().Any(v => (string?)v == verb));

        foreach (var verb in new[] { "list", "watch" })
        {
            Assert.True(Allows("k8swsproxy.io", "websocketroutes", verb), verb + " websocketroutes");
            Assert.True(Allows("", "pods", verb), verb + " pods");
            Assert.True(Allows("", "secrets", verb), verb + " secrets");
        }

        Assert.True(Allows("k8swsproxy.io", "websocketroutes/status", "patch"));
        Assert.True(Allows("", "pods", "patch"));
        Assert.True(Allows("", "events", "create"));
        Assert.True(Allows("authentication.k8s.io", "tokenreviews", "create"));
        Assert.True(Allows("coordination.k8s.io", "leases", "update"));
        Assert.True(Allows("coordination.k8s.io", "leases", "create"));
        Assert.False(Allows("", "secrets", "update"), "the operator never writes Secrets");

        // Nothing more than the calls in operator/ (the end-to-end operators run as this account: nothing less).
        var granted = rules.SelectMany(r => r!["apiGroups"]!.AsArray().SelectMany(g => r["resources"]!.AsArray().SelectMany(x => r["verbs"]!.AsArray()
            .Select(v => $"{(string?)g}/{(string?)x}:{(string?)v}")))).Order().ToList();
        Assert.Equal(
        [
            "/events:create", "/events:patch", "/pods:list", "/pods:patch", "/pods:watch", "/secrets:list", "/secrets:watch",
            "authentication.k8s.io/tokenreviews:create", "coordination.k8s.io/leases:create", "coordination.k8s.io/leases:get", "coordination.k8s.io/leases:update",
            "k8swsproxy.io/websocketroutes/status:patch", "k8swsproxy.io/websocketroutes:list", "k8swsproxy.io/websocketroutes:watch",
        ], granted);
    }

    [Fact]
    public async Task The_operator_accepts_the_arguments_the_chart_gives_it()
    {
        var deployment = Single(await RenderAsync("watchNamespaces={demo,chat}"), "Deployment");
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains("--namespaces=demo,chat", args);
        var split = args.SelectMany(a => a.Split('=', 2)).ToList();
        var (_, errors) = OperatorOptions.Parse(split, _ => null);
        // The certificate files exist only in the pod; every other argument must be understood.
        Assert.All(errors, e => Assert.Contains("/etc/k8s-ws-proxy/tls/", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_dashboard_and_alert_rules_are_the_repositorys()
    {
        var manifests = await RenderAsync("serviceMonitor.enabled=true", "prometheusRule.enabled=true");
        var dashboard = Assert.Single(manifests, m => (string?)m["kind"] == "ConfigMap" && m["data"]?["k8s-ws-proxy.json"] is not null)["data"]!["k8s-ws-proxy.json"]!.GetValue<string>();
        Assert.Equal(File.ReadAllText(Path.Combine(ChartDir, "dashboards", "k8s-ws-proxy.json")).TrimEnd(), dashboard.TrimEnd());
        var rule = Single(manifests, "PrometheusRule");
        var alerts = YamlToJson.Convert(File.ReadAllText(Path.Combine(ChartDir, "dashboards", "alerts.yaml")))!;
        Assert.True(JsonNode.DeepEquals(alerts["groups"], rule["spec"]!["groups"]), "PrometheusRule groups differ from alerts.yaml");
        var monitor = Single(manifests, "PodMonitor");
        Assert.Equal("wsproxy-admin", (string?)monitor["spec"]!["podMetricsEndpoints"]![0]!["port"]);
    }

    [Fact]
    public void The_sidecar_accepts_the_arguments_of_the_example_pod()
    {
        var pod = YamlToJson.Convert(File.ReadAllText(Path.Combine(Root, "examples", "sidecar-pod.yaml")))!;
        var sidecar = pod["spec"]!["containers"]!.AsArray().Single(c => (string?)c!["name"] == "wsproxy")!;
        var args = sidecar["args"]!.AsArray().Select(a => (string)a!).ToList();
        var (_, errors) = SidecarOptions.Parse(args);
        // The CA file exists only in the pod.
        Assert.All(errors, e => Assert.Contains("--operator-ca", e, StringComparison.Ordinal));
        var ports = sidecar["ports"]!.AsArray().Select(p => (string?)p!["name"]).ToList();
        Assert.Contains("wsproxy-admin", ports);
    }
}
