using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>
/// One served resource at one group/version: what discovery lists and what the REST handlers need to know.
/// Versions of the same resource share <see cref="StorageKey"/>, so they are views of the same stored objects.
/// </summary>
internal sealed record ResourceKind
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required string Kind { get; init; }

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Serves <c>{plural}/status</c>; the main resource then ignores status changes and vice versa.</summary>
    public bool HasStatus { get; init; }

    /// <summary>Custom resources: generation tracking, resourceVersion required on PUT, no strategic merge patch.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Builtins that bump metadata.generation on spec changes (CRDs); custom resources always do.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>DELETE answers with the object (pods) instead of a Status of Success.</summary>
    public bool ReturnsDeletedObject { get; init; }

    /// <summary>The CRD version's openAPIV3Schema, for validation, pruning and defaulting.</summary>
    public JsonObject? Schema { get; init; }

    /// <summary>The CRD version's additionalPrinterColumns, for Table output.</summary>
    public JsonArray? PrinterColumns { get; init; }

    /// <summary>Converts between the stored form and this version's form (events.k8s.io/v1 over core/v1 Events).</summary>
    public IObjectView? View { get; init; }

    /// <summary>The name of the CRD that defines this resource, or null for a builtin.</summary>
    public string? DefinedBy { get; init; }

    /// <summary>Storage identity: one bucket per group and resource, whatever the version.</summary>
    public string StorageKey { get; init; } = "";

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The path prefix of this group/version: <c>/api/v1</c> or <c>/apis/{group}/{version}</c>.</summary>
    public string Prefix => Group.Length == 0 ? "/api/" + Version : $"/apis/{Group}/{Version}";

    public IReadOnlyList<string> Verbs { get; init; } =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
