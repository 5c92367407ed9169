using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Discovery;

/// <summary>
/// Aggregated discovery (apidiscovery.k8s.io/v2): /api and /apis answer with every group, version and resource at
/// once when the client asks for it, so kubectl needs two requests instead of one per group/version.
/// </summary>
internal static class AggregatedDiscovery
{
    public const string MediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>kubectl lists the v2 form first in Accept, then v2beta1, then plain JSON.</summary>
    public static bool IsWanted(string accept) => accept.Contains("v=v2;as=APIGroupDiscoveryList", StringComparison.Ordinal);

    public static JsonObject Document(ResourceRegistry registry, bool core)
    {
        var items = registry.ByGroupVersion()
            .Where(gv => (gv.First().Group.Length == 0) == core)
            .GroupBy(gv => gv.First().Group)
            .Select(group => (JsonNode)new JsonObject
            {
                ["metadata"] = core ? new JsonObject() : new JsonObject { ["name"] = group.Key },
                ["versions"] = new JsonArray(group
                    .OrderByDescending(gv => VersionPriority.Of(gv.First().Version))
                    .Select(gv => (JsonNode)new JsonObject
                    {
                        ["version"] = gv.First().Version,
                        ["resources"] = new JsonArray(gv.Select(Resource).ToArray()),
                        ["freshness"] = "Current",
                    })
                    .ToArray()),
            })
            .ToArray();
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray(items),
        };
    }

    private static JsonNode Resource(ResourceKind kind)
    {
        var resource = new JsonObject
        {
            ["resource"] = kind.Plural,
            ["responseKind"] = ResponseKind(kind.Group, kind.Version, kind.Kind),
            ["scope"] = kind.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = kind.Singular,
            ["verbs"] = kind.Verbs.ToJsonArray(),
        };
        if (kind.ShortNames.Count > 0)
        {
            resource["shortNames"] = kind.ShortNames.ToJsonArray();
        }

        if (kind.Categories.Count > 0)
        {
            resource["categories"] = kind.Categories.ToJsonArray();
        }

        var subresources = Subresource.Of(kind);
        if (subresources.Count > 0)
        {
            resource["subresources"] = new JsonArray(subresources.Select(s => (JsonNode)new JsonObject
            {
                ["subresource"] = s.Name,
                ["responseKind"] = ResponseKind(s.Group, s.Version, s.Kind),
                ["verbs"] = s.Verbs.ToJsonArray(),
            }).ToArray());
        }

        return resource;
    }

    private static JsonObject ResponseKind(string group, string version, string kind) =>
        new() { ["group"] = group, ["version"] = version, ["kind"] = kind };
}
