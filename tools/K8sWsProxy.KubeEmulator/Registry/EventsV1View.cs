using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>
/// events.k8s.io/v1 Event over the stored core/v1 Event: the real server keeps one object and renames fields
/// per version (k8s.io/kubernetes/pkg/apis/events/v1 conversion), so `kubectl describe` sees events a
/// controller wrote through either API.
/// </summary>
internal sealed class EventsV1View : IObjectView
{
    // (events.k8s.io/v1 field, core/v1 field)
    private static readonly (string V1, string Core)[] Renames =
    [
        ("note", "message"),
        ("regarding", "involvedObject"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public JsonObject ToStored(JsonObject served) => Rename(served, fromV1: true, "v1");

    public JsonObject FromStored(JsonObject stored) => Rename(stored, fromV1: false, "events.k8s.io/v1");

    public string StoredField(string field)
    {
        foreach (var (v1, core) in Renames)
        {
            if (field == v1 || field.StartsWith(v1 + ".", StringComparison.Ordinal))
            {
                return core + field[v1.Length..];
            }
        }

        return field;
    }

    private static JsonObject Rename(JsonObject source, bool fromV1, string apiVersion)
    {
        var result = (JsonObject)source.DeepClone();
        foreach (var (v1, core) in Renames)
        {
            var (from, to) = fromV1 ? (v1, core) : (core, v1);
            if (result.Remove(from, out var value))
            {
                result[to] = value;
            }
        }

        result["apiVersion"] = apiVersion;
        result["kind"] = "Event";
        return result;
    }
}
