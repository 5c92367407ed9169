using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sWsProxy.KubeEmulator.Table;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0]</c>, <c>.a[*]</c> and
/// <c>.a[?(@.type=="Ready")].status</c>. Returns every match, in order.
/// </summary>
internal static partial class JsonPathEvaluator
{
    public static IReadOnlyList<JsonNode> Evaluate(JsonNode root, string path)
    {
        IEnumerable<JsonNode> current = [root];
        foreach (Match step in Step().Matches(path.Trim().Trim('{', '}')))
        {
            current = step.Groups["field"].Success ? Field(current, step.Groups["field"].Value)
                : step.Groups["index"].Success ? Index(current, int.Parse(step.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture))
                : step.Groups["all"].Success ? current.SelectMany(n => n is JsonArray a ? a.OfType<JsonNode>() : [])
                : Filter(current, step.Groups["key"].Value, step.Groups["op"].Value, step.Groups["value"].Value);
        }

        return current.ToArray();
    }

    private static IEnumerable<JsonNode> Field(IEnumerable<JsonNode> nodes, string name) =>
        nodes.Select(n => n is JsonObject o ? o[name] : null).OfType<JsonNode>();

    private static IEnumerable<JsonNode> Index(IEnumerable<JsonNode> nodes, int index) =>
        nodes.Select(n => n is JsonArray a && index < a.Count ? a[index] : null).OfType<JsonNode>();

    private static IEnumerable<JsonNode> Filter(IEnumerable<JsonNode> nodes, string key, string op, string value) =>
        nodes.SelectMany(n => n is JsonArray a ? a.OfType<JsonNode>() : [])
            .Where(e => (e.Path(key.Split('.')) is JsonValue v && v.ToString() == value) == (op == "=="));

    private static JsonNode? Path(this JsonNode node, string[] keys)
    {
        JsonNode? current = node;
        foreach (var key in keys)
        {
            current = current is JsonObject o ? o[key] : null;
        }

        return current;
    }

    [GeneratedRegex("""\.(?<field>[A-Za-z0-9_\-$]+)|\[(?<index>\d+)\]|\[(?<all>\*)\]|\[\?\(@\.(?<key>[A-Za-z0-9_.\-]+)\s*(?<op>==|!=)\s*["'](?<value>[^"']*)["']\)\]""")]
    private static partial Regex Step();
}
