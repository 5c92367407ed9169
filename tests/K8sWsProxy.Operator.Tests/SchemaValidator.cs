using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// The part of the API server's structural-schema validation the CRD uses: types, unknown fields, required,
/// enums, patterns, ranges, lengths, item and property counts. Enough to tell whether an example would be admitted.
/// </summary>
internal static class SchemaValidator
{
    public static IReadOnlyList<string> Validate(JsonNode? value, JsonObject schema)
    {
        var errors = new List<string>();
        Check(value, schema, "", errors);
        return errors;
    }

    private static void Check(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        if (node is null)
        {
            errors.Add($"{path}: must not be null");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            errors.Add($"{path}: {node.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        switch ((string?)schema["type"])
        {
            case "object":
                CheckObject(node, schema, path, errors);
                break;
            case "array":
                CheckArray(node, schema, path, errors);
                break;
            default:
                CheckScalar(JsonSerializer.SerializeToElement(node), schema, path, errors);
                break;
        }
    }

    private static void CheckObject(JsonNode node, JsonObject schema, string path, List<string> errors)
    {
        if (node is not JsonObject obj)
        {
            errors.Add($"{path}: must be an object");
            return;
        }

        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"] as JsonObject;
        foreach (var required in schema["required"]?.AsArray() ?? [])
        {
            if (!obj.ContainsKey((string)required!))
            {
                errors.Add($"{path}.{required}: required");
            }
        }

        if (schema["minProperties"] is { } min && obj.Count < Number(min))
        {
            errors.Add($"{path}: needs at least {min} properties");
        }

        if (schema["maxProperties"] is { } max && obj.Count > Number(max))
        {
            errors.Add($"{path}: allows at most {max} properties");
        }

        foreach (var (name, child) in obj)
        {
            if (properties?[name] is JsonObject propertySchema)
            {
                Check(child, propertySchema, $"{path}.{name}", errors);
            }
            else if (additional is not null)
            {
                Check(child, additional, $"{path}.{name}", errors);
            }
            else if (properties is not null)
            {
                errors.Add($"{path}.{name}: unknown field");
            }
        }
    }

    private static void CheckArray(JsonNode node, JsonObject schema, string path, List<string> errors)
    {
        if (node is not JsonArray array)
        {
            errors.Add($"{path}: must be a list");
            return;
        }

        if (schema["minItems"] is { } min && array.Count < Number(min))
        {
            errors.Add($"{path}: needs at least {min} items");
        }

        for (var i = 0; i < array.Count; i++)
        {
            Check(array[i], schema["items"]!.AsObject(), $"{path}[{i}]", errors);
        }
    }

    private static void CheckScalar(JsonElement value, JsonObject schema, string path, List<string> errors)
    {
        var type = (string?)schema["type"];
        var ok = type switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ => false,
        };
        if (!ok)
        {
            errors.Add($"{path}: must be of type {type}");
            return;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, (string)pattern!))
            {
                errors.Add($"{path}: '{text}' does not match {pattern}");
            }

            if (schema["minLength"] is { } minLength && text.Length < Number(minLength))
            {
                errors.Add($"{path}: shorter than {minLength}");
            }

            if (schema["maxLength"] is { } maxLength && text.Length > Number(maxLength))
            {
                errors.Add($"{path}: longer than {maxLength}");
            }
        }
        else if (value.ValueKind == JsonValueKind.Number)
        {
            var number = value.GetDouble();
            if ((schema["minimum"] is { } min && number < Number(min)) || (schema["maximum"] is { } max && number > Number(max)))
            {
                errors.Add($"{path}: {number} is out of range");
            }
        }
    }

    /// <summary>Schema numbers come from YAML as long or double; compare them as doubles.</summary>
    private static double Number(JsonNode node) => JsonSerializer.SerializeToElement(node).GetDouble();
}
