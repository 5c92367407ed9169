using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>Lists: selectors, paging, all-namespace lists and what a CRD's lifecycle does to its objects.</summary>
public sealed class ListTests
{
    private static V1ConfigMap Map(string name, string tier) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["tier"] = tier, ["app"] = "x" } } };

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        await using var kube = await StartAsync(withCrd: false);
        foreach (var (name, tier) in new[] { ("a", "web"), ("b", "db"), ("c", "cache") })
        {
            await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map(name, tier), "default");
        }

        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await kube.Client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: labels, fieldSelector: fields)).Items.Select(i => i.Metadata.Name).ToArray();

        Assert.Equal(["a"], await Names("tier=web"));
        Assert.Equal(["b", "c"], await Names("tier!=web"));
        Assert.Equal(["a", "c"], await Names("tier in (web,cache),app"));
        Assert.Equal(["b"], await Names("tier notin (web,cache)"));
        Assert.Empty(await Names("!app"));
        Assert.Equal(["c"], await Names(fields: "metadata.name=c"));
        Assert.Equal(["a", "b"], await Names(fields: "metadata.name!=c"));

        var unknownField = await Assert.ThrowsAsync<HttpOperationException>(() => Names(fields: "data.x=y"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.Response.StatusCode);
    }

    [Fact]
    public async Task Limit_and_continue_page_through_a_list_until_the_token_expires()
    {
        await using var kube = await StartAsync(withCrd: false);
        for (var i = 0; i < 5; i++)
        {
            await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map($"m{i}", "web"), "default");
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await kube.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: token);
            names.AddRange(page.Items.Select(i => i.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token) && pages < 10);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], names);
        Assert.Equal(3, pages);

        // Like etcd, compaction removes revisions older than the current one: the token dies once a write follows it.
        var first = await kube.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map("later", "web"), "default");
        kube.Emulator.CompactHistory();
        var expired = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty));
        Assert.Equal(HttpStatusCode.Gone, expired.Response.StatusCode);
        Assert.Contains("\"reason\":\"Expired\"", expired.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_CRD_being_deleted_waits_for_its_objects_finalizers()
    {
        await using var kube = await StartAsync();
        var held = Route("held");
        held["metadata"]!["finalizers"] = new System.Text.Json.Nodes.JsonArray("k8swsproxy.io/cleanup");
        await kube.CreateRouteAsync(held);
        await kube.CreateRouteAsync(Route("free"));

        await kube.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io");
        var crd = await kube.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io");
        Assert.NotNull(crd.Metadata.DeletionTimestamp);
        Assert.Equal(["customresourcecleanup.apiextensions.k8s.io"], crd.Metadata.Finalizers);
        var remaining = ToNode(await kube.Client.CustomObjects.ListNamespacedCustomObjectAsync(RouteGroup, RouteVersion, "default", RoutePlural));
        var only = Assert.Single(remaining["items"]!.AsArray());
        Assert.Equal("held", only!["metadata"]!["name"]!.ToString());
        Assert.NotNull(only["metadata"]!["deletionTimestamp"]);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => kube.CreateRouteAsync(Route("late")));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.Response.StatusCode);

        // The operator removes its finalizer; the CRD then goes too.
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "held");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task A_namespace_being_deleted_is_Terminating_until_its_contents_are_gone()
    {
        await using var kube = await StartAsync();
        await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "demo" } });
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map("plain", "web"), "demo");
        var held = Route("held");
        held["metadata"]!["finalizers"] = new System.Text.Json.Nodes.JsonArray("k8swsproxy.io/cleanup");
        await kube.CreateRouteAsync(held, "demo");

        await kube.Client.CoreV1.DeleteNamespaceAsync("demo");
        var ns = await kube.Client.CoreV1.ReadNamespaceAsync("demo");
        Assert.Equal("Terminating", ns.Status.Phase);
        Assert.Empty((await kube.Client.CoreV1.ListNamespacedConfigMapAsync("demo")).Items);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map("late", "web"), "demo"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Contains("because it is being terminated", refused.Response.Content, StringComparison.Ordinal);

        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "demo", RoutePlural, "held");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.ReadNamespaceAsync("demo"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Deletecollection_deletes_what_the_selector_matches()
    {
        await using var kube = await StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "web"), "default");
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "db"), "default");
        await kube.Client.CoreV1.DeleteCollectionNamespacedConfigMapAsync("default", labelSelector: "tier=web");
        Assert.Equal(["b"], (await kube.Client.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Select(i => i.Metadata.Name));
    }

    [Fact]
    public async Task A_CRD_is_established_at_once_and_deleting_it_deletes_its_objects()
    {
        await using var kube = await StartAsync();
        var crd = await kube.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io");
        Assert.Contains(crd.Status.Conditions, c => c.Type == "Established" && c.Status == "True");
        Assert.Contains(crd.Status.Conditions, c => c.Type == "NamesAccepted" && c.Status == "True");

        await kube.CreateRouteAsync(Route("r1"));
        await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "demo" } });
        await kube.CreateRouteAsync(Route("r2"), "demo");
        var all = ToNode(await kube.Client.CustomObjects.ListCustomObjectForAllNamespacesAsync(RouteGroup, RouteVersion, RoutePlural));
        Assert.Equal(2, all["items"]!.AsArray().Count);

        await kube.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io");
        await Poll.UntilAsync(async () => (await kube.Client.ApiextensionsV1.ListCustomResourceDefinitionAsync()).Items.Count == 0, "the CRD to go");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CustomObjects.ListCustomObjectForAllNamespacesAsync(RouteGroup, RouteVersion, RoutePlural));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);

        // Re-creating the CRD does not bring the old objects back.
        var again = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(TestData("websocketroute-crd.yaml")));
        await kube.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(again);
        var empty = ToNode(await kube.Client.CustomObjects.ListCustomObjectForAllNamespacesAsync(RouteGroup, RouteVersion, RoutePlural));
        Assert.Empty(empty["items"]!.AsArray());
    }
}
