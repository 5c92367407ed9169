using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>Converts between the stored object and the form a given group/version serves (apiVersion, kind, field renames).</summary>
internal static class ServedForm
{
    public static JsonObject ToServed(this ResourceKind kind, JsonObject stored)
    {
        var served = kind.View?.FromStored(stored) ?? stored.CloneObject();
        served["apiVersion"] = kind.ApiVersion;
        served["kind"] = kind.Kind;
        MoveToFront(served, "metadata");
        MoveToFront(served, "kind");
        MoveToFront(served, "apiVersion");
        return served;
    }

    public static JsonObject ToStored(this ResourceKind kind, JsonObject served)
    {
        var stored = kind.View?.ToStored(served) ?? served.CloneObject();
        if (kind.View is null)
        {
            stored["apiVersion"] = kind.ApiVersion;
            stored["kind"] = kind.Kind;
        }

        return stored;
    }

    // apiVersion, kind, metadata first, as the real server's encoders write them; kubectl -o yaml shows this order.
    private static void MoveToFront(JsonObject obj, string key)
    {
        if (!obj.Remove(key, out var value))
        {
            return;
        }

        obj.Insert(0, key, value);
    }
}
