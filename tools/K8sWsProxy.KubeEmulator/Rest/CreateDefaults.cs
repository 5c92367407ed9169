using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>What the builtin registries' PrepareForCreate and defaulting do to a new object.</summary>
internal static class CreateDefaults
{
    public static void Apply(ResourceKind kind, JsonObject obj, string now)
    {
        switch (kind.StorageKey)
        {
            case "/secrets":
                MergeStringData(obj);
                if (obj.Str("type").Length == 0)
                {
                    obj["type"] = "Opaque";
                }

                break;
            case "/pods":
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
                break;
            case ContentCleanup.NamespaceKey:
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                var labels = obj.Meta()["labels"] as JsonObject ?? [];
                labels["kubernetes.io/metadata.name"] = obj.Name();
                obj.Meta()["labels"] = labels;
                break;
            case ContentCleanup.CrdKey:
                obj["status"] = CrdDefinition.EstablishedStatus(obj, now);
                var finalizers = obj.Finalizers();
                if (!finalizers.Contains(ContentCleanup.CrdFinalizer))
                {
                    obj.Meta()["finalizers"] = finalizers.Append(ContentCleanup.CrdFinalizer).ToJsonArray();
                }

                break;
        }
    }

    /// <summary>Secrets: the write-only stringData is folded into data (base64) on every write, as the real server does.</summary>
    public static void MergeStringData(JsonObject secret)
    {
        if (!secret.Remove("stringData", out var stringData) || stringData is not JsonObject strings)
        {
            return;
        }

        var data = secret["data"] as JsonObject ?? [];
        foreach (var (key, value) in strings)
        {
            data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.ToString() ?? ""));
        }

        secret["data"] = data;
    }
}
