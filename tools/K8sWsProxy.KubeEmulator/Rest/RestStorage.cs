using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.KubeEmulator.Admission;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Patch;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Selectors;
using K8sWsProxy.KubeEmulator.Storage;
using K8sWsProxy.KubeEmulator.Validation;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// The generic registry: create, read, update, patch and delete with the apiserver's rules, over the store.
/// Takes and returns objects in the served form of the requested <see cref="ResourceKind"/>.
/// </summary>
internal sealed class RestStorage(ObjectStore store, ResourceRegistry registry, MutatingWebhooks admission, TimeProvider clock)
{
    private const string CrdKey = ContentCleanup.CrdKey;
    private const string ApplyPatch = "application/apply-patch+yaml";
    private readonly ContentCleanup _cleanup = new(store, registry, clock);

    public ObjectStore Store => store;

    private string Now() => Rfc3339.Now(clock);

    public JsonObject Get(ResourceKind kind, string ns, string name) =>
        kind.ToServed(store.Get(kind.StorageKey, ns, name) ?? throw ApiException.NotFound(kind.Group, kind.Plural, name));

    public ListPage List(ResourceKind kind, string ns, LabelSelector labels, FieldSelector fields, int limit, string? continueToken)
    {
        var (items, revision) = store.List(kind.StorageKey, ns);
        var matching = items.Where(o => labels.Matches(o.Labels()) && fields.Matches(o));
        return ListPage.Take(matching, revision, limit, continueToken, store.OldestResumable)
            .Select(kind.ToServed);
    }

    /// <param name="applied">The field ownership an apply computed; null: the writer owns what it wrote.</param>
    public WriteResult Create(ResourceKind kind, string ns, JsonObject body, WriteOptions options, JsonArray? applied = null)
    {
        CheckKind(kind, body);
        var obj = kind.ToStored(body);
        AdoptNamespace(kind, obj.Meta(), ns);

        // Mutating admission comes before the registry names, stamps and validates the object, as on a real server.
        obj = admission.Admit(kind, obj, options);
        var meta = obj.Meta();
        AdoptNamespace(kind, meta, ns);
        if (meta.Str("name").Length == 0)
        {
            var prefix = meta.Str("generateName");
            meta["name"] = prefix.Length > 0
                ? ObjectMetaRules.Generate(prefix)
                : throw ApiException.Invalid(kind.Kind, kind.Group, "", [FieldError.Required("metadata.name", "name or generateName is required")]);
        }

        var name = meta.Str("name");
        CheckMetadata(kind, obj);
        if (kind.StorageKey == "/events" && EventValidation.Validate(kind, body, ns) is { Count: > 0 } eventErrors)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name, eventErrors);
        }

        var now = Now();
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = now;
        foreach (var serverOwned in new[] { "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "resourceVersion", "generation" })
        {
            meta.Remove(serverOwned);
        }

        if (kind.TracksGeneration)
        {
            meta["generation"] = 1L;
        }

        if (kind.HasStatus)
        {
            obj.Remove("status");
        }

        var warnings = SchemaValidation.Apply(kind, obj, options.FieldValidation);
        meta["managedFields"] = applied ?? ManagedFields.RecordUpdate(null, obj, options.Manager, kind.ApiVersion, now, new(kind.HasStatus, StatusWrite: false));
        CreateDefaults.Apply(kind, obj, now);
        ThrowIfInvalid(kind, obj, BuiltinValidation.Validate(kind, obj, null));
        var servedKinds = kind.StorageKey == CrdKey ? CrdDefinition.ServedKinds(obj) : null;

        lock (store.Gate)
        {
            if (kind.Namespaced && store.Get(ContentCleanup.NamespaceKey, "", ns) is null)
            {
                throw ApiException.NotFound("", "namespaces", ns);
            }

            _cleanup.CheckCanCreate(kind, ns, name);

            if (store.Get(kind.StorageKey, obj.Namespace(), name) is not null)
            {
                throw ApiException.AlreadyExists(kind.Group, kind.Plural, name);
            }

            if (options.DryRun)
            {
                return new WriteResult(kind.ToServed(obj), 201, warnings);
            }

            var stored = store.Commit(kind.StorageKey, ChangeType.Added, obj, null);
            if (servedKinds is not null)
            {
                registry.Define(name, servedKinds);
            }

            if (kind.StorageKey == ContentCleanup.NamespaceKey)
            {
                CreateDefaultServiceAccount(name);
            }

            return new WriteResult(kind.ToServed(stored), 201, warnings);
        }
    }

    /// <param name="applied">The field ownership an apply computed; null: the writer owns what it changed.</param>
    public WriteResult Update(ResourceKind kind, string ns, string name, JsonObject body, bool statusWrite, WriteOptions options, JsonArray? applied = null)
    {
        CheckKind(kind, body);
        var incoming = kind.ToStored(body);
        var meta = incoming.Meta();
        if (meta.Str("name") != name)
        {
            throw ApiException.BadRequest($"the name of the object ({meta.Str("name")}) does not match the name on the URL ({name})");
        }

        AdoptNamespace(kind, meta, ns);
        lock (store.Gate)
        {
            var existing = store.Get(kind.StorageKey, ns, name) ?? throw ApiException.NotFound(kind.Group, kind.Plural, name);
            var expected = meta.Str("resourceVersion");
            if (expected.Length == 0 && kind.IsCustom)
            {
                throw ApiException.Invalid(kind.Kind, kind.Group, name,
                    [FieldError.Invalid("metadata.resourceVersion", "0x0", "must be specified for an update")]);
            }

            if (expected.Length > 0 && expected != existing.ResourceVersion())
            {
                throw ApiException.Conflict(kind.Group, kind.Plural, name);
            }

            // A uid in the body is a precondition too: it catches writes meant for an earlier object of the same name.
            var uid = meta.Str("uid");
            var actualUid = (existing["metadata"] as JsonObject).Str("uid");
            if (uid.Length > 0 && uid != actualUid)
            {
                throw ApiException.PreconditionFailed(kind.Group, kind.Plural, name, $"UID in precondition: {uid}, UID in object meta: {actualUid}");
            }

            if (kind.StorageKey == "/secrets")
            {
                CreateDefaults.MergeStringData(incoming);
            }

            var updated = UpdateRules.Merge(kind, existing, incoming, statusWrite);
            CheckMetadata(kind, updated);
            UpdateRules.CheckFinalizers(kind, existing, updated);
            var warnings = SchemaValidation.Apply(kind, updated, options.FieldValidation);
            ThrowIfInvalid(kind, updated, BuiltinValidation.Validate(kind, updated, existing));
            var servedKinds = kind.StorageKey == CrdKey && !statusWrite ? CrdDefinition.ServedKinds(updated) : null;
            if (servedKinds is not null && updated["status"] is JsonObject crdStatus)
            {
                // The naming controller accepts new names (a short name added, say) as soon as they are written.
                crdStatus["acceptedNames"] = updated.Path("spec", "names")?.DeepClone();
            }

            if (options.DryRun || UpdateRules.IsNoOp(existing, updated))
            {
                return new WriteResult(kind.ToServed(options.DryRun ? updated : existing), 200, warnings);
            }

            updated.Meta()["managedFields"] = applied
                ?? ManagedFields.RecordUpdate(existing, updated, options.Manager, kind.ApiVersion, Now(), new(kind.HasStatus, statusWrite));

            if (updated.Path("metadata", "deletionTimestamp") is not null && !ContentCleanup.HoldsDeletion(kind, updated))
            {
                // The write that removes the last finalizer of a deleting object completes the delete.
                store.Commit(kind.StorageKey, ChangeType.Deleted, updated, existing);
                _cleanup.Removed(kind, updated);
                return new WriteResult(kind.ToServed(updated), 200, warnings);
            }

            var stored = store.Commit(kind.StorageKey, ChangeType.Modified, updated, existing);
            if (servedKinds is not null)
            {
                registry.Define(name, servedKinds);
            }

            return new WriteResult(kind.ToServed(stored), 200, warnings);
        }
    }

    public WriteResult Patch(ResourceKind kind, string ns, string name, string mediaType, string patchText, bool statusWrite, WriteOptions options)
    {
        if (mediaType == ApplyPatch)
        {
            return Apply(kind, ns, name, patchText, statusWrite, options);
        }

        lock (store.Gate)
        {
            var current = Get(kind, ns, name);
            JsonNode? patched = mediaType switch
            {
                "application/merge-patch+json" => MergePatch.Apply(current, Parse(patchText)),
                "application/json-patch+json" => JsonPatch.Apply(current, Parse(patchText)),
                "application/strategic-merge-patch+json" when !kind.IsCustom => StrategicMergePatch.Apply(current, Parse(patchText)),
                _ => throw ApiException.UnsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media types include: "
                    + (kind.IsCustom ? "" : "application/strategic-merge-patch+json, ")
                    + "application/json-patch+json, application/merge-patch+json, " + ApplyPatch),
            };

            if (patched is not JsonObject patchedObject)
            {
                throw ApiException.BadRequest("the patch must leave an object");
            }

            // A resourceVersion the patch did not set is the current one: patches are unconditional unless they say otherwise.
            if (patchedObject.ResourceVersion().Length == 0)
            {
                patchedObject.Meta()["resourceVersion"] = current.ResourceVersion();
            }

            return Update(kind, ns, name, patchedObject, statusWrite, options);
        }
    }

    /// <summary>Server-side apply: creates the object or merges the applied configuration into it, under field ownership.</summary>
    private WriteResult Apply(ResourceKind kind, string ns, string name, string patchText, bool statusWrite, WriteOptions options)
    {
        if (options.FieldManager.Length == 0)
        {
            throw ApiException.BadRequest("fieldManager: Required value: is required for apply patch");
        }

        JsonObject applied;
        try
        {
            applied = YamlToJson.ConvertAll(patchText).OfType<JsonObject>().FirstOrDefault() ?? throw ApiException.BadRequest("the apply patch is empty");
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest($"error decoding YAML: {e.Message}");
        }

        if (applied.Str("apiVersion").Length == 0 || applied.Str("kind").Length == 0)
        {
            throw ApiException.BadRequest("apiVersion and kind must be set in an applied configuration");
        }

        CheckKind(kind, applied);
        if (applied.Name() != name)
        {
            throw ApiException.BadRequest($"the name of the object ({applied.Name()}) does not match the name on the URL ({name})");
        }

        (JsonObject Merged, JsonArray Ownership) creation;
        lock (store.Gate)
        {
            var scope = new ManagedFields.Scope(kind.HasStatus, statusWrite);
            var existing = store.Get(kind.StorageKey, ns, name);
            if (existing is null && statusWrite)
            {
                throw ApiException.NotFound(kind.Group, kind.Plural, name);
            }

            var current = existing is null ? null : kind.ToServed(existing);
            var (merged, ownership) = ManagedFields.Apply(current, applied, options.FieldManager, options.Force, kind.ApiVersion, Now(), scope,
                conflicts => ApiException.ApplyConflict(kind.Group, kind.Plural, name, conflicts));
            if (current is not null)
            {
                merged.Meta()["resourceVersion"] = current.ResourceVersion();
                return Update(kind, ns, name, merged, statusWrite, options, ownership);
            }

            creation = (merged, ownership);
        }

        // Outside the lock: the create may wait on admission webhooks, which must not hold up other writes (or their own reads).
        return Create(kind, ns, creation.Merged, options, creation.Ownership);
    }

    /// <summary>Deletes, or with finalizers marks as deleting. Returns the body to send: the object or a Status of Success.</summary>
    public JsonObject Delete(ResourceKind kind, string ns, string name, JsonObject? deleteOptions, bool dryRun)
    {
        lock (store.Gate)
        {
            var existing = store.Get(kind.StorageKey, ns, name) ?? throw ApiException.NotFound(kind.Group, kind.Plural, name);
            CheckPreconditions(kind, existing, deleteOptions?["preconditions"] as JsonObject);
            if (ContentCleanup.HoldsDeletion(kind, existing))
            {
                if (existing.Path("metadata", "deletionTimestamp") is not null || dryRun)
                {
                    return kind.ToServed(existing);
                }

                var deleting = ContentCleanup.MarkDeleting(existing, Now());
                if (kind.StorageKey == ContentCleanup.NamespaceKey)
                {
                    deleting["status"] = new JsonObject { ["phase"] = "Terminating" };
                }

                var marked = store.Commit(kind.StorageKey, ChangeType.Modified, deleting, existing);
                if (kind.StorageKey is ContentCleanup.NamespaceKey or CrdKey)
                {
                    _cleanup.Drain(kind, marked);
                }

                return kind.ToServed(store.Get(kind.StorageKey, ns, name) ?? marked);
            }

            var deleted = existing.CloneObject();
            if (!dryRun)
            {
                store.Commit(kind.StorageKey, ChangeType.Deleted, deleted, existing);
                _cleanup.Removed(kind, deleted);
            }

            return kind.ReturnsDeletedObject ? kind.ToServed(deleted) : SuccessStatus(kind, deleted);
        }
    }

    private static JsonObject SuccessStatus(ResourceKind kind, JsonObject deleted)
    {
        var details = new JsonObject { ["name"] = deleted.Name() };
        if (kind.Group.Length > 0)
        {
            details["group"] = kind.Group;
        }

        details["kind"] = kind.Plural;
        details["uid"] = deleted.Path("metadata", "uid")?.DeepClone();
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    private void CreateDefaultServiceAccount(string ns)
    {
        var account = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject
            {
                ["name"] = "default",
                ["namespace"] = ns,
                ["uid"] = Guid.NewGuid().ToString(),
                ["creationTimestamp"] = Now(),
            },
        };
        store.Commit("/serviceaccounts", ChangeType.Added, account, null);
    }

    private static void CheckMetadata(ResourceKind kind, JsonObject obj) =>
        ThrowIfInvalid(kind, obj, ObjectMetaRules.Validate(obj, nameIsLabel: kind.StorageKey == ContentCleanup.NamespaceKey));

    private static void ThrowIfInvalid(ResourceKind kind, JsonObject obj, IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, obj.Name(), errors);
        }
    }

    private static void CheckKind(ResourceKind kind, JsonObject body)
    {
        var bodyKind = body.Str("kind");
        if (bodyKind.Length > 0 && bodyKind != kind.Kind)
        {
            throw ApiException.BadRequest($"the kind in the body ({bodyKind}) does not match the kind on the URL ({kind.Kind})");
        }

        var bodyVersion = body.Str("apiVersion");
        if (bodyVersion.Length > 0 && bodyVersion != kind.ApiVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({bodyVersion}) does not match the expected API version ({kind.ApiVersion})");
        }
    }

    private static void AdoptNamespace(ResourceKind kind, JsonObject meta, string ns)
    {
        if (!kind.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }

        var bodyNamespace = meta.Str("namespace");
        if (bodyNamespace.Length > 0 && bodyNamespace != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        meta["namespace"] = ns;
    }

    private static void CheckPreconditions(ResourceKind kind, JsonObject existing, JsonObject? preconditions)
    {
        var uid = preconditions.Str("uid");
        var rv = preconditions.Str("resourceVersion");
        var actualUid = (existing["metadata"] as JsonObject).Str("uid");
        if (uid.Length > 0 && uid != actualUid)
        {
            throw ApiException.PreconditionFailed(kind.Group, kind.Plural, existing.Name(), $"UID in precondition: {uid}, UID in object meta: {actualUid}");
        }

        if (rv.Length > 0 && rv != existing.ResourceVersion())
        {
            throw ApiException.PreconditionFailed(kind.Group, kind.Plural, existing.Name(), $"ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {existing.ResourceVersion()}");
        }
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw ApiException.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }
    }
}
