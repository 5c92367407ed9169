using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// Reads multi-document manifests the way kubectl and the API server would hand them to the operator: YAML to JSON,
/// then <see cref="KubernetesJson"/>. Strict: a field the C# types drop (unknown, misspelt, mistyped) is an error.
/// </summary>
internal static class Manifests
{
    public static IReadOnlyList<object> Load(string yaml) =>
        YamlToJson.ConvertAll(yaml).OfType<JsonObject>().Select(Read).ToList();

    public static object Read(JsonObject node)
    {
        var kind = node["kind"]?.GetValue<string>();
        return kind switch
        {
            WebSocketRoute.KindName => Strict<WebSocketRoute>(node),
            "Pod" => Strict<V1Pod>(node),
            "Secret" => WithStringData(Strict<V1Secret>(node)),
            _ => throw new InvalidDataException($"unexpected kind '{kind}'"),
        };
    }

    public static T Strict<T>(JsonNode node)
    {
        var value = KubernetesJson.Deserialize<T>(node);
        var back = JsonNode.Parse(KubernetesJson.Serialize(value!));
        RequireSubset(node, back, "");
        return value;
    }

    /// <summary>The API server folds stringData into data; the operator only ever sees data.</summary>
    private static V1Secret WithStringData(V1Secret secret)
    {
        secret.Data ??= new Dictionary<string, byte[]>();
        foreach (var (key, value) in secret.StringData ?? new Dictionary<string, string>())
        {
            secret.Data[key] = Encoding.UTF8.GetBytes(value);
        }

        secret.StringData = null;
        return secret;
    }

    /// <summary>Everything the manifest says must have survived the round trip through the C# types unchanged.</summary>
    private static void RequireSubset(JsonNode? input, JsonNode? output, string path)
    {
        switch (input)
        {
            case null:
                return;
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (child is not null && (output as JsonObject)?.ContainsKey(name) != true)
                    {
                        throw new InvalidDataException($"{path}.{name}: unknown field");
                    }

                    RequireSubset(child, output![name], $"{path}.{name}");
                }

                return;
            case JsonArray array:
                if (output is not JsonArray other || other.Count != array.Count)
                {
                    throw new InvalidDataException($"{path}: not read as a list of {array.Count}");
                }

                for (var i = 0; i < array.Count; i++)
                {
                    RequireSubset(array[i], other[i], $"{path}[{i}]");
                }

                return;
            default:
                if (output is null || !JsonNode.DeepEquals(input, output))
                {
                    throw new InvalidDataException($"{path}: {input.ToJsonString()} read as {output?.ToJsonString() ?? "nothing"}");
                }

                return;
        }
    }
}
