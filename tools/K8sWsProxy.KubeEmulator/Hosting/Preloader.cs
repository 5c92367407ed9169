using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;

namespace K8sWsProxy.KubeEmulator;

/// <summary>Creates objects from YAML/JSON files through the same path a client's POST takes.</summary>
internal static class Preloader
{
    public static void Load(RestStorage storage, ResourceRegistry registry, IEnumerable<string> paths)
    {
        var documents = paths
            .SelectMany(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p).Where(IsManifest).Order(StringComparer.Ordinal)
                : Enumerable.Repeat(p, 1))
            .SelectMany(f => YamlToJson.ConvertAll(File.ReadAllText(f)).OfType<JsonObject>())
            .OrderBy(d => d.Str("kind") switch { "Namespace" => 0, "CustomResourceDefinition" => 1, _ => 2 })
            .ToArray();
        var options = new WriteOptions(DryRun: false, FieldValidation.Strict);
        foreach (var document in documents)
        {
            var kind = KindOf(registry, document);
            var ns = kind.Namespaced ? NonEmpty(document.Namespace(), "default") : "";
            storage.Create(kind, ns, document, options);
        }
    }

    private static ResourceKind KindOf(ResourceRegistry registry, JsonObject document)
    {
        var apiVersion = document.Str("apiVersion");
        var kindName = document.Str("kind");
        return registry.Kinds.FirstOrDefault(k => k.ApiVersion == apiVersion && k.Kind == kindName)
            ?? throw ApiException.BadRequest($"no resource serves {kindName} in {apiVersion} (is its CRD preloaded?)");
    }

    private static bool IsManifest(string file) =>
        Path.GetExtension(file) is ".yaml" or ".yml" or ".json";

    private static string NonEmpty(string value, string fallback) => value.Length > 0 ? value : fallback;
}
