using System.Text;
using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>
/// Server-side apply as helm uses it: an apply creates or merges, records who owns which field, refuses to take a
/// field another manager set to another value unless forced, and removes what its manager stops applying.
/// </summary>
public sealed class ServerSideApplyTests
{
    private const string Path = "apis/apps/v1/namespaces/default/deployments/web";

    private static string Deployment(int replicas, string? extraLabel = null) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web{{{(extraLabel is null ? "" : $", {extraLabel}: \"yes\"")}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "web:1"}]}
        """;

    private static async Task<(HttpStatusCode Code, JsonObject Body)> ApplyAsync(TestEmulator kube, string manifest, string manager, bool force = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{Path}?fieldManager={manager}{(force ? "&force=true" : "")}")
        {
            Content = new StringContent(manifest, Encoding.UTF8, "application/apply-patch+yaml"),
        };
        using var response = await kube.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static IEnumerable<string> Managers(JsonObject obj) =>
        obj["metadata"]!["managedFields"]!.AsArray().Select(e => $"{e!["manager"]}/{e["operation"]}");

    [Fact]
    public async Task Apply_creates_merges_and_removes_what_its_manager_stops_applying()
    {
        await using var kube = await StartAsync(withCrd: false);
        var (created, body) = await ApplyAsync(kube, Deployment(2, extraLabel: "canary"), "helm");
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(["helm/Apply"], Managers(body));
        Assert.Equal("yes", body["metadata"]!["labels"]!["canary"]!.ToString());

        // A label another writer added survives helm's next apply; the label helm stopped applying does not.
        await kube.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"metadata":{"labels":{"team":"chat"}}}""", V1Patch.PatchType.MergePatch), "web", "default", fieldManager: "kubectl-label");
        var (updated, merged) = await ApplyAsync(kube, Deployment(3), "helm");
        Assert.Equal(HttpStatusCode.OK, updated);
        var labels = merged["metadata"]!["labels"]!.AsObject();
        Assert.Equal(["app", "team"], labels.Select(l => l.Key).Order());
        Assert.Equal(3, merged["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(["helm/Apply", "kubectl-label/Update"], Managers(merged).Order());
    }

    [Fact]
    public async Task A_field_another_manager_changed_is_a_conflict_until_forced()
    {
        await using var kube = await StartAsync(withCrd: false);
        await ApplyAsync(kube, Deployment(2), "helm");
        await kube.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"replicas":5}}""", V1Patch.PatchType.MergePatch), "web", "default", fieldManager: "kubectl-scale");

        // Applying the value it already has is shared ownership, not a conflict.
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(kube, Deployment(5), "other")).Code);

        var (conflict, status) = await ApplyAsync(kube, Deployment(4), "helm");
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("Conflict", status["reason"]!.ToString());
        Assert.Contains("conflict with \"kubectl-scale\" using apps/v1: .spec.replicas", status["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(".spec.replicas", status["details"]!["causes"]![0]!["field"]!.ToString());
        Assert.Equal(5, (await kube.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas);

        var (forced, taken) = await ApplyAsync(kube, Deployment(4), "helm", force: true);
        Assert.Equal(HttpStatusCode.OK, forced);
        Assert.Equal(4, taken["spec"]!["replicas"]!.GetValue<int>());
        var scale = taken["metadata"]!["managedFields"]!.AsArray().FirstOrDefault(e => e!["manager"]!.ToString() == "kubectl-scale");
        Assert.True(scale is null || scale["fieldsV1"]!["f:spec"]?["f:replicas"] is null, "the forced field changed owner");
    }
}
