using System.Security.Cryptography;
using System.Text.Json;

namespace K8sWsProxy.Contracts.Config;

/// <summary>"sha256:…" of the document's content: equal content, equal revision, whoever built it.</summary>
public static class RevisionHasher
{
    public static string Compute(SidecarConfigDocument document)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document with { Revision = null }, ConfigJson.Document);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The document with its revision filled in when it had none.</summary>
    public static SidecarConfigDocument WithRevision(SidecarConfigDocument document) =>
        string.IsNullOrEmpty(document.Revision) ? document with { Revision = Compute(document) } : document;
}
