using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Storage;

internal enum ChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>
/// One entry of the change log, like an etcd watch event: the object after the change (for a delete, the
/// last state stamped with the delete's revision) and the object before it, which watch filters need to
/// turn selector transitions into ADDED/DELETED. Objects in the log are never mutated.
/// </summary>
internal sealed record StoredEvent(long Revision, string StorageKey, ChangeType Type, JsonObject Object, JsonObject? Previous);
