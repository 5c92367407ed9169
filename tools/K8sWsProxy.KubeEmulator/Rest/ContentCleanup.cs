using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Storage;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// What the namespace controller and the apiextensions finalizer controller do, run synchronously under the
/// store lock: a namespace or CRD being deleted has its contents deleted (objects with finalizers are only
/// marked), stays Terminating while any remain, refuses new content, and goes once the last one is gone.
/// </summary>
internal sealed class ContentCleanup(ObjectStore store, ResourceRegistry registry, TimeProvider clock)
{
    public const string CrdKey = "apiextensions.k8s.io/customresourcedefinitions";
    public const string NamespaceKey = "/namespaces";

    /// <summary>The finalizer the apiextensions server puts on every CRD so its objects are cleaned up first.</summary>
    public const string CrdFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    /// <summary>Namespaces carry their finalizer in spec, not metadata; a delete must wait for it too.</summary>
    public static bool HoldsDeletion(ResourceKind kind, JsonObject obj) =>
        obj.Finalizers().Count > 0 || (kind.StorageKey == NamespaceKey && obj.Path("spec", "finalizers") is JsonArray { Count: > 0 });

    /// <summary>New objects may not appear in a terminating namespace or under a terminating CRD.</summary>
    public void CheckCanCreate(ResourceKind kind, string ns, string name)
    {
        if (kind.Namespaced && IsDeleting(store.Get(NamespaceKey, "", ns)))
        {
            throw ApiException.Forbidden(kind.Group, kind.Plural, name,
                $"unable to create new content in namespace {ns} because it is being terminated");
        }

        if (kind.DefinedBy is { } crd && IsDeleting(store.Get(CrdKey, "", crd)))
        {
            throw ApiException.MethodNotAllowedFor("create not allowed while custom resource definition is terminating");
        }
    }

    /// <summary>Called once a namespace or CRD has been marked deleting: deletes what it holds, then it.</summary>
    public void Drain(ResourceKind kind, JsonObject owner)
    {
        foreach (var storageKey in Contents(kind, owner))
        {
            var ns = kind.StorageKey == NamespaceKey ? owner.Name() : "";
            foreach (var obj in store.List(storageKey, ns).Items)
            {
                if (obj.Finalizers().Count == 0)
                {
                    store.Commit(storageKey, ChangeType.Deleted, obj.CloneObject(), obj);
                }
                else if (!IsDeleting(obj))
                {
                    store.Commit(storageKey, ChangeType.Modified, MarkDeleting(obj, Rfc3339.Now(clock)), obj);
                }
            }
        }

        FinishIfEmpty(kind, owner.Name());
    }

    /// <summary>Called after any object is finally removed: the namespace or CRD waiting for it may now go.</summary>
    public void Removed(ResourceKind kind, JsonObject removed)
    {
        if (kind.StorageKey == CrdKey)
        {
            registry.Remove(removed.Name());
            return;
        }

        if (kind.Namespaced)
        {
            FinishIfEmpty(BuiltinKinds.Namespaces, removed.Namespace());
        }

        if (kind.DefinedBy is { } crd)
        {
            FinishIfEmpty(registry.Kinds.First(k => k.StorageKey == CrdKey), crd);
        }
    }

    public static JsonObject MarkDeleting(JsonObject existing, string now)
    {
        var deleting = existing.CloneObject();
        deleting.Meta()["deletionTimestamp"] = now;
        deleting.Meta()["deletionGracePeriodSeconds"] = 0;
        return deleting;
    }

    private void FinishIfEmpty(ResourceKind ownerKind, string name)
    {
        var owner = store.Get(ownerKind.StorageKey, "", name);
        if (owner is null || !IsDeleting(owner))
        {
            return;
        }

        var ns = ownerKind.StorageKey == NamespaceKey ? name : "";
        if (Contents(ownerKind, owner).Any(key => store.List(key, ns).Items.Count > 0))
        {
            return;
        }

        var finished = owner.CloneObject();
        if (ownerKind.StorageKey == NamespaceKey)
        {
            (finished["spec"] as JsonObject)?.Remove("finalizers");
        }
        else
        {
            finished.Meta()["finalizers"] = owner.Finalizers().Where(f => f != CrdFinalizer).ToJsonArray();
        }

        if (finished.Finalizers().Count > 0)
        {
            store.Commit(ownerKind.StorageKey, ChangeType.Modified, finished, owner);
            return;
        }

        store.Commit(ownerKind.StorageKey, ChangeType.Deleted, finished, owner);
        Removed(ownerKind, finished);
    }

    private IEnumerable<string> Contents(ResourceKind ownerKind, JsonObject owner) => ownerKind.StorageKey == NamespaceKey
        ? registry.Kinds.Where(k => k.Namespaced && k.View is null).Select(k => k.StorageKey).Distinct()
        : registry.Kinds.Where(k => k.DefinedBy == owner.Name()).Select(k => k.StorageKey).Distinct();

    private static bool IsDeleting(JsonObject? obj) => obj?.Path("metadata", "deletionTimestamp") is not null;
}
