using System.Text;
using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Admission;

/// <summary>
/// Pod creates go through the MutatingWebhookConfigurations as on a real API server: an AdmissionReview over HTTPS to
/// each matching webhook (TLS checked against the service's name and the caBundle), its patch applied, its denial
/// returned, a failed call ignored or fatal by failurePolicy.
/// </summary>
public sealed class MutatingWebhookTests
{
    private static readonly TestCertificates Ca = new("webhook-ca");

    private static readonly JsonArray AddProxy =
        [new JsonObject { ["op"] = "add", ["path"] = "/spec/containers/-", ["value"] = new JsonObject { ["name"] = "proxy", ["image"] = "proxy:1" } }];

    public static TheoryData<string, string> Failures => new()
    {
        { "unreachable", "failed to call webhook: Post \"https://gone.demo.svc:443/mutate?timeout=10s\": Connection refused" },
        { "unmapped", "failed to call webhook: Post \"https://nowhere.demo.svc:443/mutate?timeout=10s\": lookup nowhere.demo.svc: no such host" },
        { "wrong-name", "failed to call webhook: Post \"https://wrong.demo.svc:443/mutate?timeout=10s\": The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch" },
        { "other-ca", "failed to call webhook: Post \"https://hook.demo.svc:443/mutate?timeout=10s\": The remote certificate is invalid because of errors in the certificate chain: PartialChain" },
        { "wrong-uid", "received invalid webhook response: expected response.uid=" },
        { "timeout", "failed to call webhook: Post \"https://slow.demo.svc:443/mutate?timeout=1s\": context deadline exceeded" },
    };

    [Fact]
    public async Task A_selected_pod_comes_back_patched_and_the_webhook_got_the_review_of_its_create()
    {
        await using var kube = await StartAsync(withCrd: false);
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await using var hook = await WebhookServer.StartAsync(Ca.Issue("hook", "hook.demo.svc").Certificate, review => WebhookServer.Allow(review, AddProxy));
        kube.Emulator.AddServiceAddress("hook.demo.svc:443", hook.Endpoint);
        await NamespaceAsync(kube, "app", injected: true);
        await ConfigureAsync(kube, "inject", Selected(Hook("inject.demo.io", "hook")));

        await Ok(kubectl.RunWithInputAsync(PodYaml("web", "app", "inject: \"true\""), "apply", "-f", "-"));

        Assert.Equal("app proxy", (await Ok(kubectl.RunAsync("get", "pod", "web", "-n", "app", "-o", "jsonpath={.spec.containers[*].name}"))).Stdout.Trim());
        var (target, review) = Assert.Single(hook.Received);
        Assert.Equal("/mutate?timeout=10s", target);
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.ToString());
        Assert.Equal("AdmissionReview", review["kind"]!.ToString());
        var request = review["request"]!.AsObject();
        Assert.True(Guid.TryParse(request["uid"]!.ToString(), out _));
        var kind = JsonNode.Parse("""{"group":"","version":"v1","kind":"Pod"}""");
        var resource = JsonNode.Parse("""{"group":"","version":"v1","resource":"pods"}""");
        Assert.True(JsonNode.DeepEquals(kind, request["kind"]) && JsonNode.DeepEquals(kind, request["requestKind"]), request.ToJsonString());
        Assert.True(JsonNode.DeepEquals(resource, request["resource"]) && JsonNode.DeepEquals(resource, request["requestResource"]), request.ToJsonString());
        Assert.Equal(("web", "app", "CREATE"), (request["name"]!.ToString(), request["namespace"]!.ToString(), request["operation"]!.ToString()));
        Assert.Equal("kube-emulator-admin", request["userInfo"]!["username"]!.ToString());
        Assert.True(request.ContainsKey("oldObject") && request["oldObject"] is null);
        Assert.False(request["dryRun"]!.GetValue<bool>());
        Assert.Equal("CreateOptions", request["options"]!["kind"]!.ToString());
        Assert.Equal("kubectl-client-side-apply", request["options"]!["fieldManager"]!.ToString());
        var pod = request["object"]!;
        Assert.Equal(("v1", "Pod", "web", "app"), (pod["apiVersion"]!.ToString(), pod["kind"]!.ToString(), pod["metadata"]!["name"]!.ToString(), pod["metadata"]!["namespace"]!.ToString()));
        Assert.Equal("true", pod["metadata"]!["labels"]!["inject"]!.ToString());
        Assert.Equal("app", Assert.Single(pod["spec"]!["containers"]!.AsArray())!["name"]!.ToString());

        // A server-side apply that creates the pod is admitted too, and the review names whoever asked.
        await kube.Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(
            new V1Role { Metadata = new V1ObjectMeta { Name = "pods" }, Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "create", "patch"] }] }, "app");
        await kube.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "jane" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pods" },
            Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "User", Name = "jane" }],
        }, "app");
        await Ok(kubectl.RunWithInputAsync(PodYaml("applied", "app", "inject: \"true\""), "apply", "--server-side", "--as", "jane", "--as-group", "devs", "-f", "-"));

        Assert.Equal("app proxy", (await Ok(kubectl.RunAsync("get", "pod", "applied", "-n", "app", "-o", "jsonpath={.spec.containers[*].name}"))).Stdout.Trim());
        var applied = hook.Received.Last().Review["request"]!;
        Assert.Equal("applied", applied["name"]!.ToString());
        Assert.Equal("jane", applied["userInfo"]!["username"]!.ToString());
        Assert.Equal(["devs", "system:authenticated"], applied["userInfo"]!["groups"]!.AsArray().Select(g => g!.ToString()));
        Assert.Equal("kubectl", applied["options"]!["fieldManager"]!.ToString());
    }

    [Fact]
    public async Task The_namespace_and_object_selectors_leave_out_pods_they_do_not_select()
    {
        await using var kube = await StartAsync(withCrd: false);
        await using var hook = await WebhookServer.StartAsync(Ca.Issue("hook", "hook.demo.svc").Certificate, review => WebhookServer.Allow(review, AddProxy));
        kube.Emulator.AddServiceAddress("hook.demo.svc:443", hook.Endpoint);
        await NamespaceAsync(kube, "app", injected: true);
        await NamespaceAsync(kube, "plain", injected: false);
        await ConfigureAsync(kube, "inject", Selected(Hook("inject.demo.io", "hook")));

        await CreatePodAsync(kube, "bare", "app");
        await CreatePodAsync(kube, "elsewhere", "plain", new() { ["inject"] = "true" });
        await CreatePodAsync(kube, "opted-out", "app", new() { ["inject"] = "true", ["skip"] = "" });
        await CreatePodAsync(kube, "chosen", "app", new() { ["inject"] = "true" });

        Assert.Equal("chosen", Assert.Single(hook.Received).Review["request"]!["name"]!.ToString());
        Assert.Equal(["app", "proxy"], await ContainersAsync(kube, "chosen", "app"));
        foreach (var (pod, ns) in new[] { ("bare", "app"), ("elsewhere", "plain"), ("opted-out", "app") })
        {
            Assert.Equal(["app"], await ContainersAsync(kube, pod, ns));
        }
    }

    [Fact]
    public async Task A_denial_is_the_webhooks_code_and_message_and_a_patch_that_breaks_the_pod_is_invalid()
    {
        await using var kube = await StartAsync(withCrd: false);
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await using var hook = await WebhookServer.StartAsync(Ca.Issue("hook", "hook.demo.svc").Certificate, review =>
            review["request"]!["name"]!.ToString() switch
            {
                "privileged" => WebhookServer.Deny(review, new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = "privileged pods are not allowed" }),
                "unexplained" => WebhookServer.Deny(review, new JsonObject { ["message"] = "no" }),
                _ => WebhookServer.Allow(review, [new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject { ["bad"] = "not valid!" } }]),
            });
        kube.Emulator.AddServiceAddress("hook.demo.svc:443", hook.Endpoint);
        await NamespaceAsync(kube, "app", injected: true);
        await ConfigureAsync(kube, "policy", Hook("policy.demo.io", "hook"));

        var refused = await kubectl.RunWithInputAsync(PodYaml("privileged", "app"), "apply", "-f", "-");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("admission webhook \"policy.demo.io\" denied the request: privileged pods are not allowed", refused.Stderr, StringComparison.Ordinal);

        var status = await FailedCreateAsync(kube, "privileged", "app", HttpStatusCode.Forbidden);
        Assert.Equal("Forbidden", status["reason"]!.ToString());
        Assert.Equal("admission webhook \"policy.demo.io\" denied the request: privileged pods are not allowed", status["message"]!.ToString());

        // Without a code a denial is a 400.
        status = await FailedCreateAsync(kube, "unexplained", "app", HttpStatusCode.BadRequest);
        Assert.Equal("admission webhook \"policy.demo.io\" denied the request: no", status["message"]!.ToString());

        // The patched pod is validated as any other.
        status = await FailedCreateAsync(kube, "broken", "app", (HttpStatusCode)422);
        Assert.Equal("Invalid", status["reason"]!.ToString());
        Assert.Contains("metadata.labels: Invalid value: \"not valid!\"", status["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, hook.Received.Count);
        Assert.Empty((await kube.Client.CoreV1.ListNamespacedPodAsync("app")).Items);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failed_call_is_skipped_under_Ignore_and_refuses_the_pod_under_Fail(string failure, string reason)
    {
        await using var kube = await StartAsync(withCrd: false);
        await using var hook = await WebhookServer.StartAsync(Ca.Issue("hook", "hook.demo.svc").Certificate, review => WebhookServer.Allow(review, AddProxy));
        await using var misnamed = await WebhookServer.StartAsync(Ca.Issue("other", "other.demo.svc").Certificate, review => WebhookServer.Allow(review, AddProxy));
        await using var liar = await WebhookServer.StartAsync(Ca.Issue("liar", "liar.demo.svc").Certificate, review =>
        {
            var answer = WebhookServer.Allow(review, AddProxy);
            answer["response"]!["uid"] = "wrong";
            return answer;
        });
        await using var slow = await WebhookServer.StartAsync(Ca.Issue("slow", "slow.demo.svc").Certificate, review => WebhookServer.Allow(review));
        slow.Hang = true;
        kube.Emulator.AddServiceAddress("hook.demo.svc:443", hook.Endpoint);
        kube.Emulator.AddServiceAddress("wrong.demo.svc:443", misnamed.Endpoint);
        kube.Emulator.AddServiceAddress("liar.demo.svc:443", liar.Endpoint);
        kube.Emulator.AddServiceAddress("slow.demo.svc:443", slow.Endpoint);
        kube.Emulator.AddServiceAddress("gone.demo.svc:443", new IPEndPoint(IPAddress.Loopback, Ports.Free()));
        await NamespaceAsync(kube, "app", injected: true);
        var failing = failure switch
        {
            "unreachable" => Hook("failing.demo.io", "gone"),
            "unmapped" => Hook("failing.demo.io", "nowhere"),
            "wrong-name" => Hook("failing.demo.io", "wrong"),
            "other-ca" => Hook("failing.demo.io", "hook", new TestCertificates("another-ca").CaPem),
            "wrong-uid" => Hook("failing.demo.io", "liar"),
            _ => Hook("failing.demo.io", "slow", timeoutSeconds: 1),
        };
        failing.FailurePolicy = "Ignore";

        // Configurations are called by name: the failing one first, then one that adds a container (failurePolicy unset: Fail).
        await ConfigureAsync(kube, "a-failing", failing);
        await ConfigureAsync(kube, "b-inject", Hook("inject.demo.io", "hook"));

        await CreatePodAsync(kube, "ignored", "app");
        Assert.Equal(["app", "proxy"], await ContainersAsync(kube, "ignored", "app"));

        await kube.Client.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(
            new V1Patch("""[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]""", V1Patch.PatchType.JsonPatch), "a-failing");
        var status = await FailedCreateAsync(kube, "refused", "app", HttpStatusCode.InternalServerError);
        Assert.Equal("InternalError", status["reason"]!.ToString());
        var message = status["message"]!.ToString();
        Assert.True(message.StartsWith($"Internal error occurred: failed calling webhook \"failing.demo.io\": {reason}", StringComparison.Ordinal), message);
        Assert.Equal("ignored", Assert.Single((await kube.Client.CoreV1.ListNamespacedPodAsync("app")).Items).Metadata.Name);
    }

    private static async Task<CommandResult> Ok(Task<CommandResult> run)
    {
        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <param name="labels">YAML flow-mapping entries, as in <c>inject: "true"</c>.</param>
    private static string PodYaml(string name, string ns, string labels = "") =>
        $"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}\nspec: {{containers: [{{name: app, image: nginx}}]}}\n";

    private static V1Pod Pod(string name, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx" }] },
    };

    private static Task CreatePodAsync(TestEmulator kube, string name, string ns, Dictionary<string, string>? labels = null) =>
        kube.Client.CoreV1.CreateNamespacedPodAsync(Pod(name, labels), ns);

    private static async Task<IEnumerable<string>> ContainersAsync(TestEmulator kube, string name, string ns) =>
        (await kube.Client.CoreV1.ReadNamespacedPodAsync(name, ns)).Spec.Containers.Select(c => c.Name);

    /// <summary>POSTs the pod and returns the Status the create failed with, having checked its code.</summary>
    private static async Task<JsonNode> FailedCreateAsync(TestEmulator kube, string name, string ns, HttpStatusCode expected)
    {
        using var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(Pod(name)), Encoding.UTF8, "application/json");
        using var response = await kube.Http.PostAsync($"api/v1/namespaces/{ns}/pods", body);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == expected, status.ToJsonString());
        Assert.Equal((int)expected, status["code"]!.GetValue<int>());
        return status;
    }

    private static Task NamespaceAsync(TestEmulator kube, string name, bool injected) =>
        kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = injected ? new Dictionary<string, string> { ["injection"] = "enabled" } : null },
        });

    private static Task ConfigureAsync(TestEmulator kube, string name, params V1MutatingWebhook[] hooks) =>
        kube.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = name },
            Webhooks = hooks,
        });

    /// <summary>A webhook on pod creates at the service NAME.demo.svc, port 443, path /mutate, trusting <paramref name="caPem"/> (the test CA when null).</summary>
    private static V1MutatingWebhook Hook(string name, string service, string? caPem = null, int? timeoutSeconds = null) => new()
    {
        Name = name,
        ClientConfig = new Admissionregistrationv1WebhookClientConfig
        {
            Service = new Admissionregistrationv1ServiceReference { Name = service, NamespaceProperty = "demo", Path = "/mutate" },
            CaBundle = Encoding.UTF8.GetBytes(caPem ?? Ca.CaPem),
        },
        Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["pods"] }],
        TimeoutSeconds = timeoutSeconds,
        SideEffects = "None",
        AdmissionReviewVersions = ["v1"],
    };

    /// <summary>Only pods labelled inject=true (and not skip) in namespaces labelled injection=enabled.</summary>
    private static V1MutatingWebhook Selected(V1MutatingWebhook hook)
    {
        hook.NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["injection"] = "enabled" } };
        hook.ObjectSelector = new V1LabelSelector
        {
            MatchExpressions =
            [
                new V1LabelSelectorRequirement { Key = "inject", OperatorProperty = "In", Values = ["true"] },
                new V1LabelSelectorRequirement { Key = "skip", OperatorProperty = "DoesNotExist" },
            ],
        };
        return hook;
    }
}
