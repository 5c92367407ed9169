using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Validation;

/// <summary>
/// What the apiextensions server does to a custom resource with its version's structural openAPIV3Schema:
/// drop nulls that are not nullable, apply defaults, prune (or report) fields the schema does not know, then
/// validate types, formats, required, enum, pattern, lengths, bounds and item counts. apiVersion, kind and metadata
/// at the root are the server's, not the schema's, and are left alone. CEL rules are not evaluated.
/// </summary>
internal sealed class SchemaValidator
{
    private static readonly HashSet<string> RootFields = ["apiVersion", "kind", "metadata"];

    private readonly List<FieldError> _errors = [];
    private readonly List<string> _unknownFields = [];

    private SchemaValidator()
    {
    }

    /// <summary>Defaults and prunes <paramref name="obj"/> in place and returns what was wrong with it.</summary>
    public static (IReadOnlyList<FieldError> Errors, IReadOnlyList<string> UnknownFields) Apply(JsonObject obj, JsonObject schema)
    {
        var validator = new SchemaValidator();
        validator.Object(obj, schema, "", root: true);
        return (validator._errors, validator._unknownFields);
    }

    private void Walk(JsonNode? node, JsonObject schema, string path)
    {
        if (node is null)
        {
            return;
        }

        if (IsTrue(schema["x-kubernetes-int-or-string"]))
        {
            if (!IsInteger(node) && !IsString(node))
            {
                _errors.Add(FieldError.TypeInvalid(path, TypeName(node), $"{path} in body must be of type integer-or-string: \"{TypeName(node)}\""));
            }

            return;
        }

        var type = (schema["type"] as JsonValue)?.ToString() ?? "";
        if (type.Length > 0 && !HasType(node, type))
        {
            _errors.Add(FieldError.TypeInvalid(path, TypeName(node), $"{path} in body must be of type {type}: \"{TypeName(node)}\""));
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                Object(obj, schema, path, root: false);
                break;
            case JsonArray array:
                Array(array, schema, path);
                break;
            case JsonValue value:
                Scalar(value, schema, path);
                break;
        }

        Enum(node, schema, path);
    }

    private void Object(JsonObject obj, JsonObject schema, string path, bool root)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var preserveUnknown = IsTrue(schema["x-kubernetes-preserve-unknown-fields"]);

        foreach (var key in obj.Select(p => p.Key).ToArray())
        {
            if (root && RootFields.Contains(key))
            {
                continue;
            }

            var childPath = Join(path, key);
            var childSchema = properties?[key] as JsonObject ?? additional as JsonObject;
            if (childSchema is null)
            {
                var additionalAllowed = additional is JsonValue allowed && allowed.GetValueKind() == JsonValueKind.True;
                if (!preserveUnknown && !additionalAllowed)
                {
                    _unknownFields.Add(childPath);
                    obj.Remove(key);
                }

                continue;
            }

            if (obj[key] is null && !IsTrue(childSchema["nullable"]))
            {
                obj.Remove(key);
                continue;
            }

            Walk(obj[key], childSchema, childPath);
        }

        if (properties is not null)
        {
            foreach (var (key, propertySchema) in properties)
            {
                if (!obj.ContainsKey(key) && propertySchema?["default"] is { } defaultValue)
                {
                    obj[key] = defaultValue.DeepClone();
                    Walk(obj[key], (JsonObject)propertySchema, Join(path, key));
                }
            }
        }

        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r?.ToString() ?? ""))
        {
            if (!obj.ContainsKey(required))
            {
                _errors.Add(FieldError.Required(Join(path, required)));
            }
        }

        Count(obj.Count, schema, "minProperties", "maxProperties", path, "properties");
    }

    private void Array(JsonArray array, JsonObject schema, string path)
    {
        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Walk(array[i], items, $"{path}[{i}]");
            }
        }

        Count(array.Count, schema, "minItems", "maxItems", path, "items");
        Unique(array, schema, path);
    }

    // x-kubernetes-list-type: set and map lists may not repeat an element or a key (two Ready conditions, say).
    private void Unique(JsonArray array, JsonObject schema, string path)
    {
        var listType = (schema["x-kubernetes-list-type"] as JsonValue)?.ToString();
        var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k?.ToString() ?? "").ToArray() ?? [];
        if (listType is not ("set" or "map"))
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var identity = listType == "set"
                ? array[i]?.ToJsonString() ?? "null"
                : "map[string]interface {}" + new JsonObject(keys.Select(k => KeyValuePair.Create(k, array[i]?[k]?.DeepClone()))).ToJsonString();
            if (!seen.Add(identity))
            {
                _errors.Add(FieldError.Duplicate($"{path}[{i}]", identity));
            }
        }
    }

    private void Scalar(JsonValue value, JsonObject schema, string path)
    {
        if (value.TryGetValue<string>(out var text))
        {
            if (schema["pattern"] is JsonValue pattern && !Regex.IsMatch(text, pattern.ToString(), RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                _errors.Add(FieldError.Invalid(path, value, $"{path} in body should match '{pattern}'"));
            }

            if (schema["format"] is JsonValue format && !StringFormats.IsValid(format.ToString(), text))
            {
                _errors.Add(FieldError.Invalid(path, value, $"{path} in body must be of type {format}: \"{text}\""));
            }

            if (schema["minLength"] is JsonValue minLength && text.Length < Number(minLength))
            {
                _errors.Add(FieldError.Invalid(path, value, $"{path} in body should be at least {minLength} chars long"));
            }

            if (schema["maxLength"] is JsonValue maxLength && text.Length > Number(maxLength))
            {
                _errors.Add(FieldError.TooLong(path, maxLength));
            }

            return;
        }

        if (value.GetValueKind() != JsonValueKind.Number)
        {
            return;
        }

        var number = Number(value);
        if (schema["minimum"] is JsonValue minimum)
        {
            var exclusive = IsTrue(schema["exclusiveMinimum"]);
            if (exclusive ? number <= Number(minimum) : number < Number(minimum))
            {
                _errors.Add(FieldError.Invalid(path, value, $"{path} in body should be greater than {(exclusive ? "" : "or equal to ")}{minimum}"));
            }
        }

        if (schema["maximum"] is JsonValue maximum)
        {
            var exclusive = IsTrue(schema["exclusiveMaximum"]);
            if (exclusive ? number >= Number(maximum) : number > Number(maximum))
            {
                _errors.Add(FieldError.Invalid(path, value, $"{path} in body should be less than {(exclusive ? "" : "or equal to ")}{maximum}"));
            }
        }
    }

    private void Enum(JsonNode node, JsonObject schema, string path)
    {
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            _errors.Add(FieldError.NotSupported(path, node, allowed.Select(a => a?.ToJsonString() ?? "null")));
        }
    }

    private void Count(int count, JsonObject schema, string minKey, string maxKey, string path, string noun)
    {
        if (schema[minKey] is JsonValue min && count < Number(min))
        {
            _errors.Add(FieldError.Invalid(path, count, $"{path} in body should have at least {min} {noun}"));
        }

        if (schema[maxKey] is JsonValue max && count > Number(max))
        {
            _errors.Add(FieldError.TooMany(path, count, max, noun));
        }
    }

    private static bool HasType(JsonNode node, string type) => type switch
    {
        "object" => node is JsonObject,
        "array" => node is JsonArray,
        "string" => IsString(node),
        "integer" => IsInteger(node),
        "number" => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "boolean" => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        _ => true,
    };

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static bool IsString(JsonNode node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static bool IsInteger(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.IsInteger(Number(v));

    private static string TypeName(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        _ when IsString(node) => "string",
        _ when IsInteger(node) => "integer",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        _ => "boolean",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    // Through the text, so it works whatever CLR type backs the node.
    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);
}
