using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// Field ownership as server-side apply keeps it in <c>metadata.managedFields</c> (FieldsV1), and apply itself:
/// conflicts with other managers, <c>force</c>, and removal of the fields an applier stops applying. Simplified
/// where helm and kubectl do not look: every list is atomic (owned whole, as <c>x-kubernetes-list-type: atomic</c>),
/// where the real server merges lists of maps by their keys.
/// </summary>
internal static class ManagedFields
{
    private const char Separator = '\n';

    private static readonly HashSet<string> UnownedMetadata =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"];

    /// <summary>The entries after an update (create, PUT, a non-apply PATCH): <paramref name="manager"/> owns what it changed, nobody keeps what it removed.</summary>
    public static JsonArray RecordUpdate(JsonObject? before, JsonObject after, string manager, string apiVersion, string now, Scope scope)
    {
        var entries = Read(before);
        var oldLeaves = before is null ? [] : Leaves(before, scope);
        var newLeaves = Leaves(after, scope);
        var changed = newLeaves.Where(l => !oldLeaves.TryGetValue(l.Key, out var old) || !JsonNode.DeepEquals(old, l.Value)).Select(l => l.Key).ToList();
        var removed = oldLeaves.Keys.Where(k => !newLeaves.ContainsKey(k)).ToList();
        foreach (var entry in entries)
        {
            entry.Paths.RemoveWhere(p => changed.Any(c => Overlaps(p, c)) || removed.Contains(p));
        }

        if (changed.Count > 0)
        {
            var own = Entry(entries, manager, "Update", scope, apiVersion);
            own.Paths.UnionWith(changed);
            own.Time = now;
        }

        return Write(entries);
    }

    /// <summary>Applies <paramref name="applied"/> over <paramref name="current"/> (null: the object is new) for <paramref name="manager"/>.</summary>
    public static (JsonObject Merged, JsonArray Entries) Apply(
        JsonObject? current, JsonObject applied, string manager, bool force, string apiVersion, string now, Scope scope, Func<IReadOnlyList<JsonObject>, ApiException> conflict)
    {
        var entries = Read(current);
        var appliedLeaves = Leaves(applied, scope);
        var currentLeaves = current is null ? [] : Leaves(current, scope);
        var conflicts = new List<JsonObject>();
        foreach (var entry in entries.Where(e => e.Manager != manager))
        {
            var lost = entry.Paths.Where(owned => appliedLeaves.Any(a => Overlaps(owned, a.Key)
                && !(currentLeaves.TryGetValue(a.Key, out var value) && JsonNode.DeepEquals(value, a.Value)))).ToList();
            conflicts.AddRange(lost.Select(p => new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{entry.Manager}\"" + (entry.Operation == "Update" ? $" using {entry.ApiVersion}" : ""),
                ["field"] = Display(p),
            }));
            if (force)
            {
                entry.Paths.ExceptWith(lost);
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw conflict(conflicts);
        }

        var merged = current?.CloneObject() ?? [];
        var own = Entry(entries, manager, "Apply", scope, apiVersion);
        foreach (var dropped in own.Paths.Where(p => !appliedLeaves.Keys.Any(a => Overlaps(p, a))).ToList())
        {
            if (!entries.Any(e => e != own && e.Paths.Contains(dropped)))
            {
                Remove(merged, dropped.Split(Separator));
            }
        }

        Merge(merged, applied, scope);
        own.Paths.Clear();
        own.Paths.UnionWith(appliedLeaves.Keys);
        own.Time = now;
        return (merged, Write(entries));
    }

    /// <summary>The leaf fields of <paramref name="obj"/> a write in <paramref name="scope"/> can own, by path.</summary>
    private static Dictionary<string, JsonNode?> Leaves(JsonObject obj, Scope scope)
    {
        var leaves = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key == "metadata" && value is JsonObject meta)
            {
                // Metadata the server sets is nobody's: an object with only a name owns no metadata field.
                if (Without(meta, UnownedMetadata) is { Count: > 0 } owned && scope.Owns(key))
                {
                    Collect(leaves, owned, key);
                }
            }
            else if (scope.Owns(key))
            {
                Collect(leaves, value, key);
            }
        }

        return leaves;
    }

    private static void Collect(Dictionary<string, JsonNode?> leaves, JsonNode? node, string path)
    {
        if (node is JsonObject { Count: > 0 } obj)
        {
            foreach (var (key, value) in obj)
            {
                Collect(leaves, value, path + Separator + key);
            }
        }
        else
        {
            leaves[path] = node?.DeepClone();
        }
    }

    private static JsonObject Without(JsonObject obj, HashSet<string> keys) =>
        new(obj.Where(p => !keys.Contains(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));

    private static void Merge(JsonObject target, JsonObject source, Scope scope)
    {
        foreach (var (key, value) in source)
        {
            if (target.Count == 0 || scope.Owns(key) || key is "apiVersion" or "kind")
            {
                MergeInto(target, key, value);
            }
        }
    }

    private static void MergeInto(JsonObject target, string key, JsonNode? value)
    {
        if (value is JsonObject source && target[key] is JsonObject existing)
        {
            foreach (var (childKey, childValue) in source)
            {
                MergeInto(existing, childKey, childValue);
            }
        }
        else
        {
            target[key] = value?.DeepClone();
        }
    }

    private static void Remove(JsonObject obj, ReadOnlySpan<string> path)
    {
        if (path.Length == 1)
        {
            obj.Remove(path[0]);
        }
        else if (obj[path[0]] is JsonObject child)
        {
            Remove(child, path[1..]);
            if (child.Count == 0)
            {
                obj.Remove(path[0]);
            }
        }
    }

    private static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + Separator, StringComparison.Ordinal) || b.StartsWith(a + Separator, StringComparison.Ordinal);

    // As the real server prints a field path: .spec.template.metadata.labels.app
    private static string Display(string path) => "." + path.Replace(Separator, '.');

    private static OwnedFields Entry(List<OwnedFields> entries, string manager, string operation, Scope scope, string apiVersion)
    {
        var entry = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == operation && e.Subresource == scope.Subresource);
        if (entry is null)
        {
            entry = new OwnedFields(manager, operation, scope.Subresource, []) { ApiVersion = apiVersion };
            entries.Add(entry);
        }

        entry.ApiVersion = apiVersion;
        return entry;
    }

    private static List<OwnedFields> Read(JsonObject? obj) =>
        (obj?.Path("metadata", "managedFields") as JsonArray ?? []).OfType<JsonObject>()
            .Select(e =>
            {
                var paths = new HashSet<string>(StringComparer.Ordinal);
                Flatten(e["fieldsV1"] as JsonObject ?? [], "", paths);
                return new OwnedFields(e.Str("manager"), e.Str("operation"), e.Str("subresource"), paths) { ApiVersion = e.Str("apiVersion"), Time = e.Str("time") };
            })
            .ToList();

    private static void Flatten(JsonObject fields, string prefix, HashSet<string> paths)
    {
        foreach (var (key, value) in fields.Where(f => f.Key.StartsWith("f:", StringComparison.Ordinal)))
        {
            var path = prefix.Length == 0 ? key[2..] : prefix + Separator + key[2..];
            if (value is JsonObject { Count: > 0 } children)
            {
                Flatten(children, path, paths);
            }
            else
            {
                paths.Add(path);
            }
        }
    }

    private static JsonArray Write(List<OwnedFields> entries)
    {
        var array = new JsonArray();
        foreach (var entry in entries.Where(e => e.Paths.Count > 0))
        {
            var fields = new JsonObject();
            foreach (var path in entry.Paths.Order(StringComparer.Ordinal))
            {
                var node = fields;
                foreach (var key in path.Split(Separator))
                {
                    node = (JsonObject)(node["f:" + key] ??= new JsonObject());
                }
            }

            var written = new JsonObject
            {
                ["manager"] = entry.Manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = entry.ApiVersion,
                ["time"] = entry.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = fields,
            };
            if (entry.Subresource.Length > 0)
            {
                written["subresource"] = entry.Subresource;
            }

            array.Add(written);
        }

        return array;
    }

    private sealed record OwnedFields(string Manager, string Operation, string Subresource, HashSet<string> Paths)
    {
        public string ApiVersion { get; set; } = "";

        public string Time { get; set; } = "";
    }

    /// <summary>Which top-level fields a write may change: a status write only status; a main write all but status when it is a subresource.</summary>
    internal sealed record Scope(bool HasStatus, bool StatusWrite)
    {
        public string Subresource => StatusWrite ? "status" : "";

        public bool Owns(string topLevelKey) => topLevelKey switch
        {
            "apiVersion" or "kind" => false,
            "status" => !HasStatus || StatusWrite,
            _ => !StatusWrite || !HasStatus,
        };
    }
}
