using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>Reads a CustomResourceDefinition object into the resources it serves, refusing the shapes the real server refuses.</summary>
internal static class CrdDefinition
{
    public static IReadOnlyList<ResourceKind> ServedKinds(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var group = spec.Str("group");
        var names = spec?["names"] as JsonObject;
        var plural = names.Str("plural");
        var kind = names.Str("kind");
        var name = crd.Path("metadata", "name")?.GetValue<string>() ?? "";
        var errors = new List<FieldError>();
        if (group.Length == 0)
        {
            errors.Add(FieldError.Required("spec.group"));
        }

        if (plural.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.plural"));
        }

        if (kind.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.kind"));
        }

        if (errors.Count == 0 && name != $"{plural}.{group}")
        {
            errors.Add(FieldError.Invalid("metadata.name", name, $"must be spec.names.plural+\".\"+spec.group"));
        }

        var scope = spec.Str("scope");
        if (scope is not ("Namespaced" or "Cluster"))
        {
            errors.Add(FieldError.NotSupported("spec.scope", spec?["scope"], ["\"Cluster\"", "\"Namespaced\""]));
        }

        var versions = spec?["versions"] as JsonArray ?? [];
        if (versions.Count == 0)
        {
            errors.Add(FieldError.Required("spec.versions", "must have exactly one version marked as storage version"));
        }
        else if (versions.Count(v => v?["storage"]?.GetValue<bool>() == true) != 1)
        {
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, errors);
        }

        var shortNames = (names?["shortNames"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToArray() ?? [];
        var categories = (names?["categories"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToArray() ?? [];
        var singular = names.Str("singular");
        return versions.OfType<JsonObject>()
            .Where(v => v["served"]?.GetValue<bool>() == true)
            .Select(v => new ResourceKind
            {
                Group = group,
                Version = v.Str("name"),
                Plural = plural,
                Singular = singular.Length > 0 ? singular : kind.ToLowerInvariant(),
                Kind = kind,
                Namespaced = scope == "Namespaced",
                ShortNames = shortNames,
                Categories = categories,
                HasStatus = v.Path("subresources", "status") is not null,
                IsCustom = true,
                TracksGeneration = true,
                Schema = v.Path("schema", "openAPIV3Schema") as JsonObject,
                PrinterColumns = v["additionalPrinterColumns"] as JsonArray,
                DefinedBy = name,
                StorageKey = $"{group}/{plural}",
            })
            .ToArray();
    }

    /// <summary>The status the apiextensions controllers write once names are accepted and the API is served.</summary>
    public static JsonObject EstablishedStatus(JsonObject crd, string now)
    {
        var spec = crd["spec"] as JsonObject;
        var storage = (spec?["versions"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true).Str("name") ?? "";
        return new JsonObject
        {
            ["acceptedNames"] = spec?["names"]?.DeepClone(),
            ["storedVersions"] = new JsonArray(storage),
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now)),
        };
    }

    private static JsonObject Condition(string type, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };
}
