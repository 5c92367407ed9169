using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Selectors;

namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>Whether a webhook is called for a create: one of its rules names it, and its namespace and object selectors select it.</summary>
internal static class WebhookMatch
{
    public static bool Wants(JsonObject hook, ResourceKind kind, JsonObject obj, IReadOnlyDictionary<string, string> namespaceLabels) =>
        (hook["rules"] as JsonArray ?? []).OfType<JsonObject>().Any(rule => Covers(rule, kind))
        && LabelSelector.FromObject(hook["namespaceSelector"] as JsonObject).Matches(namespaceLabels)
        && LabelSelector.FromObject(hook["objectSelector"] as JsonObject).Matches(obj.Labels());

    private static bool Covers(JsonObject rule, ResourceKind kind) =>
        Lists(rule, "operations", "CREATE")
        && Lists(rule, "apiGroups", kind.Group)
        && Lists(rule, "apiVersions", kind.Version)
        && Strings(rule, "resources").Any(r => Resource(r, kind.Plural))
        && (rule.Str("scope") is "" or "*" || rule.Str("scope") == (kind.Namespaced ? "Namespaced" : "Cluster"));

    private static bool Lists(JsonObject rule, string field, string wanted) => Strings(rule, field).Any(v => v == "*" || v == wanted);

    // "pods" and "pods/*" cover the main resource, as do "*" and "*/*": the subresource part must be empty or "*".
    private static bool Resource(string entry, string plural) => entry.Split('/', 2) switch
    {
        [var resource] => resource is "*" || resource == plural,
        [var resource, var sub] => (resource is "*" || resource == plural) && sub == "*",
        _ => false,
    };

    private static IEnumerable<string> Strings(JsonObject rule, string field) =>
        (rule[field] as JsonArray ?? []).Select(v => v?.ToString() ?? "");
}
