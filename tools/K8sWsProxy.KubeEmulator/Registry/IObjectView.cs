using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>A version whose wire form differs from the stored form (the apiserver's conversion between versions).</summary>
internal interface IObjectView
{
    JsonObject ToStored(JsonObject served);

    JsonObject FromStored(JsonObject stored);

    /// <summary>Maps a field-selector field of this view to the stored field it reads.</summary>
    string StoredField(string field);
}
