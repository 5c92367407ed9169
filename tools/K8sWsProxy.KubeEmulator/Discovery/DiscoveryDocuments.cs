using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Discovery;

/// <summary>
/// The legacy (unaggregated) discovery documents: /version, /api, /apis, /apis/{g} and the per-group-version
/// APIResourceLists. kubectl 1.32 asks for the aggregated form first and falls back to these.
/// </summary>
internal static class DiscoveryDocuments
{
    // kubectl's gcloud dispatcher picks the kubectl minor from this; 1.32 is what the spec was recorded against.
    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0",
        ["gitCommit"] = "k8swsproxy-kube-emulator",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2024-12-11T00:00:00Z",
        ["goVersion"] = "go1.23.3",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups(registry).Select(g => (JsonNode)g).ToArray()),
    };

    public static JsonObject? Group(ResourceRegistry registry, string name) =>
        Groups(registry).FirstOrDefault(g => g["name"]?.ToString() == name) is { } group
            ? Stamp(group, "APIGroup")
            : null;

    public static JsonObject? ResourceList(ResourceRegistry registry, string apiVersion)
    {
        var kinds = registry.ByGroupVersion().FirstOrDefault(g => g.Key == apiVersion);
        if (kinds is null)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var kind in kinds)
        {
            var resource = new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.Singular,
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
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

            resources.Add(resource);
            foreach (var sub in Subresource.Of(kind))
            {
                var entry = new JsonObject
                {
                    ["name"] = $"{kind.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = kind.Namespaced,
                };
                if (sub.Group != kind.Group || sub.Version != kind.Version)
                {
                    entry["group"] = sub.Group;
                    entry["version"] = sub.Version;
                }

                entry["kind"] = sub.Kind;
                entry["verbs"] = sub.Verbs.ToJsonArray();
                resources.Add(entry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = apiVersion,
            ["resources"] = resources,
        };
    }

    private static IEnumerable<JsonObject> Groups(ResourceRegistry registry) =>
        registry.ByGroupVersion()
            .Select(g => g.First())
            .Where(k => k.Group.Length > 0)
            .GroupBy(k => k.Group)
            .Select(group =>
            {
                var versions = group.Select(k => k.Version).OrderByDescending(VersionPriority.Of).ToArray();
                return new JsonObject
                {
                    ["name"] = group.Key,
                    ["versions"] = new JsonArray(versions.Select(v => (JsonNode)GroupVersion(group.Key, v)).ToArray()),
                    ["preferredVersion"] = GroupVersion(group.Key, versions[0]),
                };
            });

    private static JsonObject GroupVersion(string group, string version) =>
        new() { ["groupVersion"] = $"{group}/{version}", ["version"] = version };

    private static JsonObject Stamp(JsonObject obj, string kind)
    {
        var stamped = new JsonObject { ["kind"] = kind, ["apiVersion"] = "v1" };
        foreach (var (key, value) in obj)
        {
            stamped[key] = value?.DeepClone();
        }

        return stamped;
    }
}
