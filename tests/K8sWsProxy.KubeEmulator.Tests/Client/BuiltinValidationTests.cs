using System.Text;
using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>
/// Built-in objects are refused as the API server refuses them, with its wording: what a schema says (unknown and
/// mistyped fields, from the client's own models) and what the registries' validation adds (required content,
/// immutable fields, values that must agree). The cases a client nobody here wrote found accepted are among them.
/// </summary>
public sealed class BuiltinValidationTests
{
    private static async Task<string> RefusedAsync(HttpStatusCode code, Func<Task> write)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.Equal(code, error.Response.StatusCode);
        return JsonNode.Parse(error.Response.Content)!["message"]!.ToString();
    }

    private static V1Pod Pod(string name, params V1Container[] containers) =>
        new() { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1PodSpec { Containers = containers } };

    [Fact]
    public async Task A_pod_needs_containers_with_names_and_images_and_its_spec_cannot_change()
    {
        await using var kube = await StartAsync(withCrd: false);
        Assert.Equal("Pod \"empty\" is invalid: spec.containers: Required value",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("empty"), "default")));
        Assert.Equal("Pod \"twins\" is invalid: [spec.containers[0].image: Required value, spec.containers[1].name: Duplicate value: \"app\"]",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.CreateNamespacedPodAsync(
                Pod("twins", new V1Container { Name = "app" }, new V1Container { Name = "app", Image = "x" }), "default")));

        var pod = await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("p", new V1Container { Name = "app", Image = "app:1" }), "default");
        pod.Spec.Containers[0].Image = "app:2";
        pod = await kube.Client.CoreV1.ReplaceNamespacedPodAsync(pod, "p", "default");
        Assert.Equal("app:2", pod.Spec.Containers[0].Image);
        pod.Spec.Containers[0].Args = ["--changed"];
        Assert.StartsWith("Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.ReplaceNamespacedPodAsync(pod, "p", "default")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_keep_their_type_and_a_tls_secret_needs_its_keys()
    {
        await using var kube = await StartAsync(withCrd: false);
        Assert.Equal("Secret \"tls\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.CreateNamespacedSecretAsync(
                new V1Secret { Metadata = new V1ObjectMeta { Name = "tls" }, Type = "kubernetes.io/tls" }, "default")));

        var secret = await kube.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["a"] = "1" }, Immutable = true }, "default");
        secret.Type = "example.com/other";
        Assert.Contains("type: Invalid value: \"example.com/other\": field is immutable",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, "s", "default")), StringComparison.Ordinal);
        secret.Type = "Opaque";
        secret.Data["a"] = "2"u8.ToArray();
        Assert.Equal("Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, "s", "default")));
    }

    [Fact]
    public async Task Leases_deployments_and_bindings_follow_their_registries_rules()
    {
        await using var kube = await StartAsync(withCrd: false);
        Assert.Equal("Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: Invalid value: -1: must be greater than 0",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.CoordinationV1.CreateNamespacedLeaseAsync(
                new V1Lease { Metadata = new V1ObjectMeta { Name = "l" }, Spec = new V1LeaseSpec { LeaseDurationSeconds = -1 } }, "default")));

        var template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "b" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app:1" }] },
        };
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "d" },
            Spec = new V1DeploymentSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "a" } }, Template = template },
        };
        Assert.Contains("spec.template.metadata.labels: Invalid value: \"{\"app\":\"b\"}\": `selector` does not match template `labels`",
            await RefusedAsync(HttpStatusCode.UnprocessableEntity, () => kube.Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default")), StringComparison.Ordinal);
        template.Metadata.Labels["app"] = "a";
        deployment = await kube.Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default");
        deployment.Spec.Selector.MatchLabels["tier"] = "web";
        deployment.Spec.Template.Metadata.Labels["tier"] = "web";
        Assert.Contains("spec.selector: Invalid value:", await RefusedAsync(HttpStatusCode.UnprocessableEntity,
            () => kube.Client.AppsV1.ReplaceNamespacedDeploymentAsync(deployment, "d", "default")), StringComparison.Ordinal);

        var binding = await kube.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "b" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "default", NamespaceProperty = "default" }],
        }, "default");
        binding.RoleRef.Name = "writer";
        Assert.Contains("roleRef: Invalid value:", await RefusedAsync(HttpStatusCode.UnprocessableEntity,
            () => kube.Client.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(binding, "b", "default")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_and_mistyped_fields_of_builtins_are_refused_as_the_decoder_refuses_them()
    {
        await using var kube = await StartAsync(withCrd: false);
        const string Deployments = "apis/apps/v1/namespaces/default/deployments";
        const string Deployment = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replica":2,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i","imagePullPolicy":"Always","port":80}]}}}}""";

        using var strict = await kube.Http.PostAsync(Deployments + "?fieldValidation=Strict", new StringContent(Deployment, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\", unknown field \"spec.template.spec.containers[0].port\"",
            JsonNode.Parse(await strict.Content.ReadAsStringAsync())!["message"]!.ToString());

        // Warn (the default): accepted, the unknown fields dropped and named in Warning headers.
        using var warned = await kube.Http.PostAsync(Deployments, new StringContent(Deployment, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Contains(warned.Headers.GetValues("Warning"), w => w.Contains("unknown field \\\"spec.replica\\\"", StringComparison.Ordinal));
        var stored = await kube.Client.AppsV1.ReadNamespacedDeploymentAsync("d", "default");
        Assert.Equal("Always", stored.Spec.Template.Spec.Containers[0].ImagePullPolicy);

        using var mistyped = await kube.Http.PostAsync("api/v1/namespaces/default/configmaps",
            new StringContent("""{"metadata":{"name":"c"},"data":{"n":1}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mistyped.StatusCode);
        Assert.Contains("data.n in body must be of type string", await mistyped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_for_another_version_is_refused_and_watch_flags_read_as_the_server_reads_them()
    {
        await using var kube = await StartAsync();
        var route = Route("v9");
        route["apiVersion"] = "k8swsproxy.io/v9";
        Assert.Equal("the API version in the data (k8swsproxy.io/v9) does not match the expected API version (k8swsproxy.io/v1alpha1)",
            await RefusedAsync(HttpStatusCode.BadRequest, () => kube.CreateRouteAsync(route)));

        // watch=True is a watch (any value but false or 0 is true): the answer is a stream of events, not a list.
        using var watch = await kube.Http.GetAsync("api/v1/namespaces?watch=True&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
        var first = await new StreamReader(await watch.Content.ReadAsStreamAsync()).ReadLineAsync();
        Assert.Equal("ADDED", JsonNode.Parse(first!)!["type"]!.ToString());
    }
}
