using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Patch;

/// <summary>JSON patch (RFC 6902): add, remove, replace, move, copy and test, applied in order to a copy.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiException.BadRequest("the body of the request was in an unknown format: a json patch must be an array of operations");
        }

        var document = target.DeepClone();
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || op["op"] is not JsonValue opName || op["path"] is not JsonValue pathValue)
            {
                throw ApiException.BadRequest("invalid json patch operation: every operation needs \"op\" and \"path\"");
            }

            var path = pathValue.ToString();
            switch (opName.ToString())
            {
                case "add":
                    document = Add(document, path, Value(op));
                    break;
                case "remove":
                    document = Remove(document, path, out _);
                    break;
                case "replace":
                    document = Remove(document, path, out _);
                    document = Add(document, path, Value(op));
                    break;
                case "move":
                    document = Remove(document, From(op), out var moved);
                    document = Add(document, path, moved);
                    break;
                case "copy":
                    document = Add(document, path, Resolve(document, From(op)).DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(document, path), op["value"]))
                    {
                        throw ApiException.Invalid("JSONPatch", "", "", [FieldError.Invalid(path, op["value"], "testing value failed")]);
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"Unexpected kind: {opName}");
            }
        }

        return document;
    }

    private static JsonNode? Value(JsonObject op) => op.TryGetPropertyValue("value", out var value)
        ? value?.DeepClone()
        : throw ApiException.BadRequest($"missing value for {op["op"]} operation at {op["path"]}");

    private static string From(JsonObject op) => op["from"]?.ToString()
        ?? throw ApiException.BadRequest($"missing from for {op["op"]} operation");

    private static string[] Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw ApiException.BadRequest($"invalid json patch path \"{path}\"");
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode Resolve(JsonNode document, string path)
    {
        var node = document;
        foreach (var token in Tokens(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) && child is not null => child,
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count && a[i] is { } item => item,
                _ => throw ApiException.Invalid("JSONPatch", "", "", [FieldError.Invalid(path, null, "path does not exist")]),
            };
        }

        return node;
    }

    private static JsonNode Add(JsonNode document, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            return value ?? throw ApiException.BadRequest("cannot replace the whole document with null");
        }

        var parent = Resolve(document, "/" + string.Join('/', tokens[..^1].Select(Escape)));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw ApiException.Invalid("JSONPatch", "", "", [FieldError.Invalid(path, null, "cannot add at this path")]);
        }

        return document;
    }

    private static JsonNode Remove(JsonNode document, string path, out JsonNode? removed)
    {
        var tokens = Tokens(path);
        var parent = Resolve(document, "/" + string.Join('/', tokens[..^1].Select(Escape)));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                removed = o[last];
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw ApiException.Invalid("JSONPatch", "", "", [FieldError.Invalid(path, null, "path does not exist")]);
        }

        // Detach, so the node can be re-parented by a move.
        removed = removed?.DeepClone();
        return document;
    }

    private static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
