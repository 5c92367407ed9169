using System.Text.Json.Nodes;

namespace K8sWsProxy.Operator.Injection;

/// <summary>Reads what a client sent without trusting its shape: a string where one is expected, else null.</summary>
internal static class JsonText
{
    public static string? Of(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
