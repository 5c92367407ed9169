using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Discovery;

/// <summary>
/// The OpenAPI v3 index and per-group-version documents. kubectl's default <c>--validate=strict</c> only checks that
/// the PATCH operation of a kind lists the <c>fieldValidation</c> parameter, then leaves validation to the server.
/// Strategic merge patch is never advertised: kubectl then uses its compiled-in types for builtins and merge patch
/// for custom resources, as against a real server. CRD schemas go into components for <c>kubectl explain</c>.
/// </summary>
internal static class OpenApiDocuments
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var group in registry.ByGroupVersion())
        {
            var kind = group.First();
            var relative = kind.Prefix.TrimStart('/');
            paths[relative] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{relative}?hash={Hash(Document(group))}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? ForGroupVersion(ResourceRegistry registry, string apiVersion) =>
        registry.ByGroupVersion().FirstOrDefault(g => g.Key == apiVersion) is { } group ? Document(group) : null;

    private static JsonObject Document(IEnumerable<ResourceKind> kinds)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var kind in kinds)
        {
            var gvk = new JsonObject { ["group"] = kind.Group, ["version"] = kind.Version, ["kind"] = kind.Kind };
            var item = kind.Namespaced ? $"{kind.Prefix}/namespaces/{{namespace}}/{kind.Plural}/{{name}}" : $"{kind.Prefix}/{kind.Plural}/{{name}}";
            var schemaName = SchemaName(kind);
            paths[item] = new JsonObject
            {
                ["get"] = Operation(gvk, schemaName, null),
                ["put"] = Operation(gvk, schemaName, ["application/json"]),
                ["patch"] = Operation(gvk, schemaName, ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]),
                ["delete"] = Operation(gvk, schemaName, null),
            };
            schemas[schemaName] = kind.Schema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            ((JsonObject)schemas[schemaName]!)["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Operation(JsonObject gvk, string schemaName, string[]? requestTypes)
    {
        var operation = new JsonObject
        {
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
            ["parameters"] = new JsonArray(
                new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = Ref(schemaName) },
                },
            },
        };
        if (requestTypes is not null)
        {
            operation["requestBody"] = new JsonObject
            {
                ["content"] = new JsonObject(requestTypes.Select(t => KeyValuePair.Create(t, (JsonNode?)Ref(schemaName)))),
            };
        }

        return operation;
    }

    private static JsonObject Ref(string schemaName) =>
        new() { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + schemaName } };

    // The real server names schemas by reversed group: io.k8swsproxy.v1alpha1.WebSocketRoute, io.k8s.api.core.v1.Pod.
    private static string SchemaName(ResourceKind kind)
    {
        var group = kind.Group.Length == 0 ? "io.k8s.api.core" : string.Join('.', kind.Group.Split('.').Reverse());
        return $"{group}.{kind.Version}.{kind.Kind}";
    }

    private static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(document.ToJsonString())))[..32];
}
