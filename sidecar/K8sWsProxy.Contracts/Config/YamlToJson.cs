using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K8sWsProxy.Contracts.Config;

/// <summary>
/// YAML to JSON with the YAML 1.2 core schema: plain scalars that look like numbers, booleans or null get
/// those types; quoted scalars stay strings. Duplicate keys are an error (YamlDotNet reports them), as in Kubernetes.
/// Public so Kubernetes manifests (multi-document YAML) are read the way kubectl does, with the same rules.
/// </summary>
public static partial class YamlToJson
{
    /// <summary>The one document of <paramref name="text"/>; null when empty.</summary>
    public static JsonNode? Convert(string text)
    {
        var stream = Load(text);
        if (stream.Documents.Count == 0)
        {
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            throw new FormatException("one YAML document expected, found " + stream.Documents.Count);
        }

        return ToNode(stream.Documents[0].RootNode);
    }

    /// <summary>Every document of a "---" separated stream, empty ones included as null.</summary>
    public static IReadOnlyList<JsonNode?> ConvertAll(string text) =>
        Load(text).Documents.Select(d => ToNode(d.RootNode)).ToList();

    private static YamlStream Load(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        return stream;
    }

    private static JsonNode? ToNode(YamlNode node) => node switch
    {
        YamlMappingNode map => ToObject(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToNode).ToArray()),
        YamlScalarNode scalar => ToValue(scalar),
        _ => throw new FormatException($"line {node.Start.Line}: unsupported YAML node"),
    };

    private static JsonObject ToObject(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? throw new FormatException($"line {key.Start.Line}: keys must be scalars");
            obj[name] = ToNode(value);
        }

        return obj;
    }

    private static JsonNode? ToValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
