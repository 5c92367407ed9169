using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Json;

/// <summary>Small null-tolerant accessors for the untyped objects the emulator stores.</summary>
internal static class JsonNodeExtensions
{
    /// <summary>The string at <paramref name="key"/>, or "" when absent or not a string.</summary>
    public static string Str(this JsonObject? obj, string key) =>
        obj?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public static JsonNode? Path(this JsonNode? node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = node is JsonObject o ? o[key] : null;
        }

        return node;
    }

    /// <summary>The metadata object, created when missing.</summary>
    public static JsonObject Meta(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    public static string Name(this JsonObject obj) => (obj["metadata"] as JsonObject).Str("name");

    public static string Namespace(this JsonObject obj) => (obj["metadata"] as JsonObject).Str("namespace");

    public static string ResourceVersion(this JsonObject obj) => (obj["metadata"] as JsonObject).Str("resourceVersion");

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject obj) =>
        (obj.Path("metadata", "labels") as JsonObject)?
            .Where(p => p.Value is JsonValue)
            .ToDictionary(p => p.Key, p => p.Value!.ToString()) ?? new Dictionary<string, string>();

    public static List<string> Finalizers(this JsonObject obj) =>
        (obj.Path("metadata", "finalizers") as JsonArray)?.Select(f => f?.ToString() ?? "").ToList() ?? [];

    public static JsonArray ToJsonArray(this IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    /// <summary>
    /// A whole number, however it was made: parsed JSON, YAML converted (a long) or built in code (an int); null
    /// for anything else.
    /// </summary>
    public static long? Integer(this JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number : null;

    public static JsonObject CloneObject(this JsonObject obj) => (JsonObject)obj.DeepClone();

    /// <summary>Parses a request body that must be one JSON object.</summary>
    public static JsonObject ParseObject(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw Errors.ApiException.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }

        return node as JsonObject
            ?? throw Errors.ApiException.BadRequest("the body of the request must be a JSON object");
    }
}
