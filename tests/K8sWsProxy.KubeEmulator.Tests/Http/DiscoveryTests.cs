namespace K8sWsProxy.KubeEmulator.Tests.Http;

/// <summary>The discovery and OpenAPI documents kubectl reads before anything else.</summary>
public sealed class DiscoveryTests
{
    private static async Task<(JsonNode Body, string ContentType)> GetAsync(TestEmulator kube, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await kube.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (JsonNode.Parse(await response.Content.ReadAsStringAsync())!, response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Version_pins_the_kubectl_dispatcher_to_1_32()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var (version, _) = await GetAsync(kube, "version?timeout=5s");
        Assert.Equal(("1", "32"), (version["major"]!.ToString(), version["minor"]!.ToString()));
    }

    [Fact]
    public async Task Aggregated_discovery_is_served_when_asked_for_and_the_legacy_form_otherwise()
    {
        await using var kube = await TestEmulator.StartAsync();
        const string Accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        var (aggregated, contentType) = await GetAsync(kube, "apis", Accept);
        Assert.Equal("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", contentType);
        var group = aggregated["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.ToString() == "k8swsproxy.io")!;
        var routes = group["versions"]![0]!["resources"]!.AsArray().Single()!;
        Assert.Equal(("websocketroutes", "Namespaced", "wsr", "status"), (
            routes["resource"]!.ToString(), routes["scope"]!.ToString(), routes["shortNames"]![0]!.ToString(), routes["subresources"]![0]!["subresource"]!.ToString()));

        var (core, _) = await GetAsync(kube, "api", Accept);
        var coreResources = core["items"]![0]!["versions"]![0]!["resources"]!.AsArray();
        var accounts = coreResources.Single(r => r!["resource"]!.ToString() == "serviceaccounts")!;
        Assert.Equal("TokenRequest", accounts["subresources"]![0]!["responseKind"]!["kind"]!.ToString());

        var (legacy, legacyType) = await GetAsync(kube, "apis");
        Assert.StartsWith("application/json", legacyType, StringComparison.Ordinal);
        Assert.Equal("APIGroupList", legacy["kind"]!.ToString());
        var (list, _) = await GetAsync(kube, "apis/k8swsproxy.io/v1alpha1");
        Assert.Equal(["websocketroutes", "websocketroutes/status"], list["resources"]!.AsArray().Select(r => r!["name"]!.ToString()));
    }

    [Fact]
    public async Task OpenAPI_lists_fieldValidation_and_never_offers_strategic_merge_for_custom_resources()
    {
        await using var kube = await TestEmulator.StartAsync();
        var (index, _) = await GetAsync(kube, "openapi/v3");
        var url = index["paths"]!["apis/k8swsproxy.io/v1alpha1"]!["serverRelativeURL"]!.ToString();
        Assert.StartsWith("/openapi/v3/apis/k8swsproxy.io/v1alpha1?hash=", url, StringComparison.Ordinal);

        var (document, _) = await GetAsync(kube, url.TrimStart('/'));
        var patch = document["paths"]!["/apis/k8swsproxy.io/v1alpha1/namespaces/{namespace}/websocketroutes/{name}"]!["patch"]!;
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.ToString() == "fieldValidation");
        var patchTypes = patch["requestBody"]!["content"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Contains("application/merge-patch+json", patchTypes);
        Assert.DoesNotContain("application/strategic-merge-patch+json", patchTypes);
        Assert.Equal("object", document["components"]!["schemas"]!["io.k8swsproxy.v1alpha1.WebSocketRoute"]!["type"]!.ToString());
    }
}
