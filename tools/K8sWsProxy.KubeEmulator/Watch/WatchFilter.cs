using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Selectors;
using K8sWsProxy.KubeEmulator.Storage;

namespace K8sWsProxy.KubeEmulator.Watch;

/// <summary>
/// Turns stored changes into what one watcher sees, like the apiserver's cacheWatcher: an object that starts
/// matching the namespace and selectors arrives as ADDED, one that stops matching as DELETED (its last matching
/// state, stamped with the change's revision), non-matching changes not at all.
/// </summary>
internal sealed class WatchFilter(string ns, LabelSelector labels, FieldSelector fields)
{
    public (string Type, JsonObject Object)? Translate(StoredEvent change)
    {
        var now = Matches(change.Object);
        var before = change.Previous is not null && Matches(change.Previous);
        return change.Type switch
        {
            ChangeType.Added when now => ("ADDED", change.Object),
            ChangeType.Modified when now && before => ("MODIFIED", change.Object),
            ChangeType.Modified when now => ("ADDED", change.Object),
            ChangeType.Modified when before => ("DELETED", Restamp(change.Previous!, change.Revision)),
            ChangeType.Deleted when now => ("DELETED", change.Object),
            _ => null,
        };
    }

    private bool Matches(JsonObject obj) =>
        (ns.Length == 0 || obj.Namespace() == ns) && labels.Matches(obj.Labels()) && fields.Matches(obj);

    private static JsonObject Restamp(JsonObject obj, long revision)
    {
        var copy = obj.CloneObject();
        copy.Meta()["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return copy;
    }
}
