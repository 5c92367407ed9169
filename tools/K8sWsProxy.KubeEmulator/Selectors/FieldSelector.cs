using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Selectors;

/// <summary>
/// A parsed <c>fieldSelector</c>. Like the real server, only the fields a resource declares selectable are
/// accepted (metadata.name and metadata.namespace everywhere, plus a few per kind); anything else is a 400.
/// </summary>
internal sealed class FieldSelector
{
    private static readonly Dictionary<string, string[]> ExtraFields = new(StringComparer.Ordinal)
    {
        ["/events"] =
        [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        ],
        ["/pods"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"],
        ["/secrets"] = ["type"],
        ["/namespaces"] = ["status.phase"],
    };

    private readonly IReadOnlyList<(string Field, bool Equal, string Value)> _requirements;

    private FieldSelector(IReadOnlyList<(string, bool, string)> requirements) => _requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? selector, ResourceKind kind)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        var requirements = new List<(string, bool, string)>();
        foreach (var term in SelectorTerms.Split(selector))
        {
            var (field, equal, value) = term.Contains("!=", StringComparison.Ordinal)
                ? Split(term, "!=", false)
                : term.Contains("==", StringComparison.Ordinal) ? Split(term, "==", true) : Split(term, "=", true);
            var stored = kind.View?.StoredField(field) ?? field;
            if (stored is not ("metadata.name" or "metadata.namespace")
                && !(ExtraFields.TryGetValue(kind.StorageKey, out var extra) && extra.Contains(stored)))
            {
                throw ApiException.BadRequest($"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
            }

            requirements.Add((stored, equal, value));
        }

        return new FieldSelector(requirements);
    }

    /// <summary>True when the stored object satisfies every requirement.</summary>
    public bool Matches(JsonObject stored) => _requirements.All(r => (Read(stored, r.Field) == r.Value) == r.Equal);

    private static (string, bool, string) Split(string term, string op, bool equal)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..at].Trim(), equal, term[(at + op.Length)..].Trim());
    }

    private static string Read(JsonObject obj, string field)
    {
        JsonNode? node = obj;
        foreach (var part in field.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node switch
        {
            JsonValue v => v.ToString(),
            JsonObject o when field == "source" => o.Str("component"),
            _ => "",
        };
    }
}
