using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Table;

/// <summary>
/// Renders objects as a meta.k8s.io/v1 Table, which is what makes `kubectl get` print a CRD's printer columns:
/// Name, then the version's additionalPrinterColumns (or Age when it declares none). Date cells become ages.
/// </summary>
internal static class TableConverter
{
    public static JsonObject Convert(ResourceKind kind, IEnumerable<JsonObject> objects, string resourceVersion, string? continueToken, IncludeObject include, TimeProvider clock)
    {
        var columns = Columns(kind);
        var now = clock.GetUtcNow();
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray()),
            ["rows"] = new JsonArray(objects.Select(o => (JsonNode)Row(o, columns, include, now)).ToArray()),
        };
    }

    private static JsonObject Row(JsonObject obj, IReadOnlyList<Column> columns, IncludeObject include, DateTimeOffset now) => new()
    {
        ["cells"] = new JsonArray(columns.Select(c => Cell(obj, c, now)).ToArray()),
        ["object"] = include switch
        {
            IncludeObject.Object => obj.DeepClone(),
            IncludeObject.Metadata => new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = obj["metadata"]?.DeepClone(),
            },
            _ => null,
        },
    };

    // apiextensions tableconvertor: the first match only; string columns print any JSON value, other
    // types keep the value only when it has that type, dates become ages.
    private static JsonNode? Cell(JsonObject obj, Column column, DateTimeOffset now)
    {
        if (column.JsonPath is null)
        {
            return obj.Name();
        }

        var value = JsonPathEvaluator.Evaluate(obj, column.JsonPath).FirstOrDefault();
        if (value is null)
        {
            return null;
        }

        var kind = value.GetValueKind();
        return column.Type switch
        {
            "string" => kind == JsonValueKind.String ? value.DeepClone() : value.ToJsonString(),
            "integer" when kind == JsonValueKind.Number => (long)double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
            "number" when kind == JsonValueKind.Number => value.DeepClone(),
            "boolean" when kind is JsonValueKind.True or JsonValueKind.False => value.DeepClone(),
            "date" when kind == JsonValueKind.String => DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? HumanDuration(now - at)
                : "<invalid>",
            _ => null,
        };
    }

    /// <summary>k8s.io/apimachinery duration.HumanDuration, the AGE column format.</summary>
    private static string HumanDuration(TimeSpan age)
    {
        var seconds = (long)Math.Max(0, age.TotalSeconds);
        return seconds switch
        {
            < 60 * 2 => $"{seconds}s",
            < 60 * 10 => seconds % 60 == 0 ? $"{seconds / 60}m" : $"{seconds / 60}m{seconds % 60}s",
            < 60 * 60 * 3 => $"{seconds / 60}m",
            < 60 * 60 * 8 => (seconds / 60 % 60) == 0 ? $"{seconds / 3600}h" : $"{seconds / 3600}h{seconds / 60 % 60}m",
            < 60 * 60 * 48 => $"{seconds / 3600}h",
            < 60 * 60 * 24 * 8 => (seconds / 3600 % 24) == 0 ? $"{seconds / 86400}d" : $"{seconds / 86400}d{seconds / 3600 % 24}h",
            < 60 * 60 * 24 * 365 * 2 => $"{seconds / 86400}d",
            _ => $"{seconds / 86400 / 365}y",
        };
    }

    private static IReadOnlyList<Column> Columns(ResourceKind kind)
    {
        var name = new Column("Name", "string", "name", "Name must be unique within a namespace.", 0, null);
        var declared = kind.PrinterColumns?.OfType<JsonObject>().Select(c => new Column(
            c.Str("name"), c.Str("type"), c.Str("format"), c.Str("description"),
            c["priority"] is JsonValue p ? int.Parse(p.ToJsonString(), CultureInfo.InvariantCulture) : 0,
            c.Str("jsonPath"))).ToArray() ?? [];
        return declared.Length > 0
            ? [name, .. declared]
            : [name, new Column("Age", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0, ".metadata.creationTimestamp")];
    }

    private sealed record Column(string Name, string Type, string Format, string Description, int Priority, string? JsonPath);
}
