using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Patch;
using K8sWsProxy.Operator.Injection;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Operator.Tests.Injection;

/// <summary>
/// The real operator host (in-process, against the API emulator, which reports Kubernetes 1.32) answering
/// AdmissionReviews on its TLS listener, trusted through the CA that issued its serving certificate.
/// </summary>
public sealed class AdmissionEndpointTests : IAsyncLifetime
{
    private InProcessOperators _operators = null!;

    public async Task InitializeAsync() => _operators = await InProcessOperators.StartAsync();

    public async Task DisposeAsync() => await _operators.DisposeAsync();

    [Fact]
    public async Task A_pod_being_created_gets_a_patch_that_applies_and_the_injection_is_counted()
    {
        var (webhook, health) = await StartAsync(SidecarPatchTests.Options);
        using var http = Trusting();
        var pod = SidecarPatchTests.Pod("plain");

        var answer = await PostAsync(http, webhook, Review("7f1c2d3e-0001", "CREATE", pod));

        var response = answer["response"]!;
        Assert.Equal(("admission.k8s.io/v1", "AdmissionReview"), (answer["apiVersion"]!.GetValue<string>(), answer["kind"]!.GetValue<string>()));
        Assert.Equal(("7f1c2d3e-0001", true, "JSONPatch"), (response["uid"]!.GetValue<string>(), response["allowed"]!.GetValue<bool>(), response["patchType"]!.GetValue<string>()));
        var patch = JsonNode.Parse(Convert.FromBase64String(response["patch"]!.GetValue<string>()));
        var patched = Manifests.Strict<V1Pod>(JsonPatch.Apply(pod, patch));
        // auto: the emulator reports Kubernetes 1.32, so the sidecar is a native one.
        Assert.Equal(("wsproxy", "Always"), (patched.Spec.InitContainers[0].Name, patched.Spec.InitContainers[0].RestartPolicy));
        Assert.Equal(SidecarPatchTests.Options.Image, patched.Metadata.Annotations[SidecarPatch.InjectedAnnotation]);

        var metrics = await Scrape.FromAsync(health);
        Assert.Equal(1, metrics.Value("wsproxy_operator_injections_total", ("result", "injected")));
        Assert.True(metrics.Has("wsproxy_operator_injections_total", ("result", "refused")), "every result is exposed from zero");
    }

    [Fact]
    public async Task A_colliding_pod_is_refused_with_the_field_and_anything_else_passes_unchanged()
    {
        var (webhook, health) = await StartAsync(SidecarPatchTests.Options with { NativeSidecars = false });
        using var http = Trusting();

        var refused = (await PostAsync(http, webhook, Review("uid-refused", "CREATE", SidecarPatchTests.Pod("colliding-volume"))))["response"]!;
        Assert.Equal(("uid-refused", false), (refused["uid"]!.GetValue<string>(), refused["allowed"]!.GetValue<bool>()));
        Assert.StartsWith("spec.volumes[1].name: wsproxy-state", refused["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(refused["patch"]);

        var update = await PostAsync(http, webhook, Review("uid-update", "UPDATE", SidecarPatchTests.Pod("plain")));
        var secret = Review("uid-secret", "CREATE", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" } });
        secret["request"]!["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Secret" };
        var other = await PostAsync(http, webhook, secret);
        var injected = await PostAsync(http, webhook, Review("uid-plain", "CREATE", SidecarPatchTests.Pod("plain")));

        foreach (var unchanged in new[] { update, other })
        {
            Assert.True(unchanged["response"]!["allowed"]!.GetValue<bool>());
            Assert.False(unchanged["response"]!.AsObject().ContainsKey("patch") || unchanged["response"]!.AsObject().ContainsKey("patchType"));
        }

        var classic = Manifests.Strict<V1Pod>(JsonPatch.Apply(SidecarPatchTests.Pod("plain"), JsonNode.Parse(Convert.FromBase64String(injected["response"]!["patch"]!.GetValue<string>()))));
        Assert.Equal(["app", "wsproxy"], classic.Spec.Containers.Select(c => c.Name));
        var metrics = await Scrape.FromAsync(health);
        Assert.Equal((1.0, 2.0, 1.0), (metrics.Value("wsproxy_operator_injections_total", ("result", "refused")), metrics.Value("wsproxy_operator_injections_total", ("result", "skipped")), metrics.Value("wsproxy_operator_injections_total", ("result", "injected"))));
    }

    [Fact]
    public async Task What_is_not_an_AdmissionReview_is_a_400_and_plain_http_finds_no_webhook()
    {
        var (webhook, health) = await StartAsync(SidecarPatchTests.Options);
        using var http = Trusting();

        foreach (var (body, problem) in new[]
        {
            ("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "expected an admission.k8s.io/v1 AdmissionReview"),
            ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "the AdmissionReview has no request with a uid"),
            ("not json", "the body is not JSON"),
        })
        {
            using var response = await http.PostAsync(webhook, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith(problem, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // An unauthenticated endpoint reads no more than a review can hold.
        // (Expect: 100-continue, so the refusal comes before the client has sent what the server will not read.)
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, webhook)
        {
            Content = new StringContent("\"" + new string('x', 5 * 1024 * 1024) + "\"", Encoding.UTF8, "application/json"),
        };
        tooLarge.Headers.ExpectContinue = true;
        using var huge = await http.SendAsync(tooLarge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        using var plain = await http.PostAsJsonAsync(new Uri(health, AdmissionEndpoint.Path), Review("uid", "CREATE", SidecarPatchTests.Pod("plain")));
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
    }

    [Fact]
    public async Task Without_an_image_every_pod_is_allowed_unchanged()
    {
        var (webhook, _) = await StartAsync(new SidecarInjection());
        using var http = Trusting();

        var response = (await PostAsync(http, webhook, Review("uid-off", "CREATE", SidecarPatchTests.Pod("plain"))))["response"]!.AsObject();

        Assert.Equal(("uid-off", true), (response["uid"]!.GetValue<string>(), response["allowed"]!.GetValue<bool>()));
        Assert.False(response.ContainsKey("patch"));
    }

    /// <summary>The operator with <paramref name="injection"/>: its webhook URL and its health listener.</summary>
    private async Task<(Uri Webhook, Uri Health)> StartAsync(SidecarInjection injection)
    {
        var (tls, health) = await _operators.StartOperatorAsync(o => o with { Injection = injection });
        return (new Uri(tls, AdmissionEndpoint.Path), health);
    }

    private static JsonObject Review(string uid, string operation, JsonObject pod) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["namespace"] = "demo",
            ["operation"] = operation,
            ["object"] = pod.DeepClone(),
        },
    };

    private static async Task<JsonObject> PostAsync(HttpClient http, Uri webhook, JsonObject review)
    {
        using var response = await http.PostAsJsonAsync(webhook, review);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private HttpClient Trusting() => _operators.Trusting();
}
