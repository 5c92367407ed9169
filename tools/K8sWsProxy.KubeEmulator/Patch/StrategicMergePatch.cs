using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Patch;

/// <summary>
/// An approximation of strategic merge patch for builtins, enough for kubectl apply/patch of Secrets, ConfigMaps,
/// Pods and Leases: a merge patch where lists of objects with a known merge key merge element-wise, and the
/// <c>$setElementOrder</c>/<c>$retainKeys</c> directives kubectl adds are dropped. <c>$patch: delete|replace</c> on
/// list elements and maps is honoured; <c>$deleteFromPrimitiveList</c> is not.
/// </summary>
internal static class StrategicMergePatch
{
    // patchMergeKey of the list fields the operator's builtins use (k8s.io/api struct tags).
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["ports"] = "containerPort",
        ["imagePullSecrets"] = "name",
        ["conditions"] = "type",
        ["containerStatuses"] = "name",
        ["ownerReferences"] = "uid",
    };

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        if (patchObject["$patch"]?.ToString() == "replace")
        {
            var replacement = (JsonObject)patchObject.DeepClone();
            replacement.Remove("$patch");
            return replacement;
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith('$'))
            {
                continue;
            }

            if (value is null || (value is JsonObject o && o["$patch"]?.ToString() == "delete"))
            {
                result.Remove(key);
            }
            else if (value is JsonArray list && MergeKeys.TryGetValue(key, out var mergeKey) && result[key] is JsonArray current)
            {
                result[key] = MergeList(current, list, mergeKey);
            }
            else
            {
                result[key] = Apply(result[key], value);
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray current, JsonArray patch, string mergeKey)
    {
        var merged = current.Select(e => e?.DeepClone()).ToList();
        foreach (var element in patch)
        {
            if (element is not JsonObject patchElement || patchElement[mergeKey] is not JsonValue keyValue)
            {
                merged.Add(element?.DeepClone());
                continue;
            }

            var index = merged.FindIndex(e => e is JsonObject o && JsonNode.DeepEquals(o[mergeKey], keyValue));
            if (patchElement["$patch"]?.ToString() == "delete")
            {
                if (index >= 0)
                {
                    merged.RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                merged[index] = Apply(merged[index], patchElement);
            }
            else
            {
                merged.Add(Apply(null, patchElement));
            }
        }

        return new JsonArray(merged.ToArray());
    }
}
