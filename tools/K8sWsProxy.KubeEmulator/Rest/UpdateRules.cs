using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// The update strategies of the real registries, in one place: which side of the status subresource a write
/// may change, which metadata the server owns, when generation moves, and the finalizer rule for objects
/// being deleted.
/// </summary>
internal static class UpdateRules
{
    private static readonly string[] ServerOwnedMetadata =
        ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name", "managedFields"];

    /// <summary>The object to store for a write of <paramref name="incoming"/> over <paramref name="existing"/>.</summary>
    public static JsonObject Merge(ResourceKind kind, JsonObject existing, JsonObject incoming, bool statusWrite)
    {
        JsonObject result;
        if (statusWrite)
        {
            // statusStrategy: only .status changes; spec, labels, annotations, finalizers come from the stored object.
            result = existing.CloneObject();
            SetOrRemove(result, "status", incoming["status"]);
        }
        else
        {
            result = incoming.CloneObject();
            if (kind.HasStatus)
            {
                SetOrRemove(result, "status", existing["status"]);
            }
        }

        var meta = result.Meta();
        var oldMeta = existing.Meta();
        foreach (var field in ServerOwnedMetadata)
        {
            SetOrRemove(meta, field, oldMeta[field]);
        }

        if (kind.TracksGeneration && SpecChanged(kind, existing, result))
        {
            meta["generation"] = (oldMeta["generation"].Integer() ?? 0) + 1;
        }

        return result;
    }

    /// <summary>Once deletionTimestamp is set, finalizers may only be removed.</summary>
    public static void CheckFinalizers(ResourceKind kind, JsonObject existing, JsonObject updated)
    {
        if (existing.Path("metadata", "deletionTimestamp") is null)
        {
            return;
        }

        var added = updated.Finalizers().Except(existing.Finalizers()).ToArray();
        if (added.Length > 0)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, existing.Name(),
                [FieldError.Forbidden("metadata.finalizers", $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}")]);
        }
    }

    /// <summary>True when the write changes nothing but the resourceVersion: the real server then skips it (no new revision, no event).</summary>
    public static bool IsNoOp(JsonObject existing, JsonObject updated)
    {
        var a = existing.CloneObject();
        var b = updated.CloneObject();
        a.Meta().Remove("resourceVersion");
        b.Meta().Remove("resourceVersion");
        a.Meta().Remove("managedFields");
        b.Meta().Remove("managedFields");
        return JsonNode.DeepEquals(a, b);
    }

    // customResourceStrategy.PrepareForUpdate: everything outside metadata counts; status too unless it is a subresource.
    private static bool SpecChanged(ResourceKind kind, JsonObject before, JsonObject after)
    {
        var a = before.CloneObject();
        var b = after.CloneObject();
        foreach (var o in new[] { a, b })
        {
            o.Remove("metadata");
            o.Remove("apiVersion");
            o.Remove("kind");
            if (kind.HasStatus)
            {
                o.Remove("status");
            }
        }

        return !JsonNode.DeepEquals(a, b);
    }

    private static void SetOrRemove(JsonObject target, string key, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(key);
        }
        else
        {
            target[key] = value.DeepClone();
        }
    }
}
