using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>Validation, pruning and defaulting from the CRD's openAPIV3Schema, as the real apiextensions server does them.</summary>
public sealed class SchemaTests
{
    [Fact]
    public async Task Defaults_are_applied_and_unknown_fields_pruned_with_a_warning()
    {
        await using var kube = await StartAsync();
        var route = Route("r1");
        route["spec"]!["unknownKnob"] = true;
        using var response = await kube.Http.PostAsync("apis/k8swsproxy.io/v1alpha1/namespaces/default/websocketroutes",
            new StringContent(route.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("unknown field \\\"spec.unknownKnob\\\"", string.Join(";", response.Headers.GetValues("Warning")), StringComparison.Ordinal);

        var stored = await kube.GetRouteAsync("r1");
        Assert.Equal("Prefix", stored["spec"]!["match"]!["pathType"]!.ToString());
        Assert.Null(stored["spec"]!["unknownKnob"]);

        // Status fields the schema does not know vanish too, as they would in a cluster.
        var status = ToNode(await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new k8s.Models.V1Patch("""{"status":{"observedGeneration":1,"notInSchema":"x"}}""", k8s.Models.V1Patch.PatchType.MergePatch),
            RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal("""{"observedGeneration":1}""", status["status"]!.ToJsonString());
    }

    [Fact]
    public async Task Strict_field_validation_refuses_unknown_fields()
    {
        await using var kube = await StartAsync();
        var route = Route("r1");
        route["spec"]!["match"]!["typo"] = "x";
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            route, RouteGroup, RouteVersion, "default", RoutePlural, fieldValidation: "Strict"));
        Assert.Equal(HttpStatusCode.BadRequest, error.Response.StatusCode);
        Assert.Contains("strict decoding error: unknown field \"spec.match.typo\"", JsonNode.Parse(error.Response.Content)!["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_objects_get_422_with_one_cause_per_field()
    {
        await using var kube = await StartAsync();
        var route = Route("r1", path: "no-slash");
        route["spec"]!["match"]!["pathType"] = "Glob";
        route["spec"]!.AsObject().Remove("upstream");
        route["spec"]!["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = 5 } };
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => kube.CreateRouteAsync(route));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);

        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Invalid", status["reason"]!.ToString());
        Assert.Equal("WebSocketRoute", status["details"]!["kind"]!.ToString());
        var causes = status["details"]!["causes"]!.AsArray().ToDictionary(c => c!["field"]!.ToString(), c => c!["reason"]!.ToString());
        Assert.Equal(new Dictionary<string, string>
        {
            ["spec.match.path"] = "FieldValueInvalid",
            ["spec.match.pathType"] = "FieldValueNotSupported",
            ["spec.upstream"] = "FieldValueRequired",
            ["spec.selector.matchLabels.app"] = "FieldValueTypeInvalid",
        }, causes);
        Assert.Contains("spec.match.path in body should match '^/'", status["message"]!.ToString(), StringComparison.Ordinal);

        // An update is validated the same way.
        var valid = await kube.CreateRouteAsync(Route("r2"));
        valid["spec"]!["upstream"]!["endpoints"]![0]!["weight"] = 0;
        var update = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(valid, RouteGroup, RouteVersion, "default", RoutePlural, "r2"));
        Assert.Contains("should be greater than or equal to 1", update.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task String_formats_are_checked()
    {
        await using var kube = await StartAsync();
        await kube.CreateRouteAsync(Route("r1"));
        Task<object> WriteTime(string time) => kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new k8s.Models.V1Patch(new JsonObject
            {
                ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = time }) },
            }.ToJsonString(), k8s.Models.V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1");

        await WriteTime("2026-11-23T05:15:12.1234567Z");
        await WriteTime("2026-11-23T05:15:12+01:00");
        var wrong = await Assert.ThrowsAsync<HttpOperationException>(() => WriteTime("11/23/2026 05:15"));
        Assert.Contains("status.conditions[0].lastTransitionTime in body must be of type date-time", JsonNode.Parse(wrong.Response.Content)!["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lists_keep_their_declared_limits_and_map_keys_unique()
    {
        await using var kube = await StartAsync();
        await kube.CreateRouteAsync(Route("r1"));

        var twice = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new k8s.Models.V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Ready","status":"False"}]}}""", k8s.Models.V1Patch.PatchType.MergePatch),
            RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, twice.Response.StatusCode);
        Assert.Contains("status.conditions[1]: Duplicate value", JsonNode.Parse(twice.Response.Content)!["message"]!.ToString(), StringComparison.Ordinal);

        var three = Route("r2");
        three["spec"]!["upstream"]!["endpoints"] = new JsonArray(
            new JsonObject { ["url"] = "ws://a" }, new JsonObject { ["url"] = "ws://b" }, new JsonObject { ["url"] = "ws://c" });
        var tooMany = await Assert.ThrowsAsync<HttpOperationException>(() => kube.CreateRouteAsync(three));
        Assert.Contains("spec.upstream.endpoints: Too many: 3: must have at most 2 items", JsonNode.Parse(tooMany.Response.Content)!["message"]!.ToString(), StringComparison.Ordinal);
    }
}
