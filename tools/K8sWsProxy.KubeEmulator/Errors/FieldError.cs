using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Errors;

/// <summary>One field-level validation failure, worded like k8s.io/apimachinery field.Error.</summary>
internal sealed record FieldError(string Field, string Type, string Reason, string Detail)
{
    public static FieldError Required(string field, string detail = "") =>
        new(field, "Required value", "FieldValueRequired", detail);

    public static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new(field, "Invalid value: " + Render(value), "FieldValueInvalid", detail);

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new(field, "Unsupported value: " + Render(value), "FieldValueNotSupported",
            "supported values: " + string.Join(", ", supported));

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) =>
        new(field, "Invalid value: " + Render(value), "FieldValueTypeInvalid", detail);

    public static FieldError TooLong(string field, JsonNode? max) =>
        new(field, "Too long", "FieldValueTooLong", $"may not be more than {max} bytes");

    public static FieldError TooMany(string field, int count, JsonNode? max, string noun) =>
        new(field, $"Too many: {count}", "FieldValueTooMany", $"must have at most {max} {noun}");

    /// <summary><paramref name="value"/> is already rendered, Go-style, by the caller.</summary>
    public static FieldError Duplicate(string field, string value) =>
        new(field, "Duplicate value: " + value, "FieldValueDuplicate", "");

    public static FieldError Forbidden(string field, string detail) =>
        new(field, "Forbidden", "FieldValueForbidden", detail);

    /// <summary>The message part, without the field: what the real server puts in a cause's message.</summary>
    public string Message => Detail.Length == 0 ? Type : $"{Type}: {Detail}";

    public override string ToString() => $"{Field}: {Message}";

    public JsonObject ToCause() => new() { ["reason"] = Reason, ["message"] = Message, ["field"] = Field };

    private static string Render(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => "\"" + s + "\"",
        JsonObject => "\"object\"",
        JsonArray => "\"array\"",
        _ => value.ToJsonString(),
    };
}
