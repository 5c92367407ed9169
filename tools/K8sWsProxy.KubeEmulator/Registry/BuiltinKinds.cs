using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>The built-in resources the operator and kubectl need; everything else comes from CRDs.</summary>
internal static class BuiltinKinds
{
    // First: static fields initialise in textual order.
    private static readonly (string, string, string, int) Age = ("Age", "date", ".metadata.creationTimestamp", 0);

    public static ResourceKind Namespaces { get; } = Core("namespaces", "namespace", "Namespace", namespaced: false, ["ns"], hasStatus: true) with
    {
        PrinterColumns = Columns(("Status", "string", ".status.phase", 0), Age),
    };

    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        Namespaces,
        Core("pods", "pod", "Pod", namespaced: true, ["po"], hasStatus: true, returnsDeletedObject: true, categories: ["all"]) with
        {
            PrinterColumns = Columns(("Status", "string", ".status.phase", 0), Age, ("IP", "string", ".status.podIP", 1), ("Node", "string", ".spec.nodeName", 1)),
        },
        Core("secrets", "secret", "Secret", namespaced: true, []) with
        {
            PrinterColumns = Columns(("Type", "string", ".type", 0), Age),
        },
        Core("configmaps", "configmap", "ConfigMap", namespaced: true, ["cm"]),
        Core("serviceaccounts", "serviceaccount", "ServiceAccount", namespaced: true, ["sa"]),
        Core("events", "event", "Event", namespaced: true, ["ev"]) with
        {
            PrinterColumns = Columns(
                ("Last Seen", "date", ".lastTimestamp", 0), ("Type", "string", ".type", 0), ("Reason", "string", ".reason", 0),
                ("Object", "string", ".involvedObject.name", 0), ("Message", "string", ".message", 0)),
        },
        new ResourceKind
        {
            Group = "events.k8s.io", Version = "v1", Plural = "events", Singular = "event", Kind = "Event",
            Namespaced = true, ShortNames = ["ev"], StorageKey = "/events", View = new EventsV1View(),
        },
        new ResourceKind
        {
            Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease",
            Namespaced = true, StorageKey = "coordination.k8s.io/leases",
            PrinterColumns = Columns(("Holder", "string", ".spec.holderIdentity", 0), Age),
        },
        new ResourceKind
        {
            Group = "apiextensions.k8s.io", Version = "v1", Plural = "customresourcedefinitions",
            Singular = "customresourcedefinition", Kind = "CustomResourceDefinition", Namespaced = false,
            ShortNames = ["crd", "crds"], HasStatus = true, TracksGeneration = true,
            StorageKey = "apiextensions.k8s.io/customresourcedefinitions",
            PrinterColumns = Columns(("Created At", "string", ".metadata.creationTimestamp", 0)),
        },
    ];

    /// <summary>Kinds served only as a POST that answers and stores nothing (TokenReview).</summary>
    public static ResourceKind TokenReview { get; } = new()
    {
        Group = "authentication.k8s.io",
        Version = "v1",
        Plural = "tokenreviews",
        Singular = "tokenreview",
        Kind = "TokenReview",
        Namespaced = false,
        Verbs = ["create"],
        StorageKey = "authentication.k8s.io/tokenreviews",
    };

    // The columns of the real server's table printers that a JSONPath can express (no READY 1/1, no DATA count).
    private static JsonArray Columns(params (string Name, string Type, string JsonPath, int Priority)[] columns) =>
        new(columns.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["jsonPath"] = c.JsonPath, ["priority"] = c.Priority }).ToArray());

    private static ResourceKind Core(
        string plural, string singular, string kind, bool namespaced, IReadOnlyList<string> shortNames,
        bool hasStatus = false, bool returnsDeletedObject = false, IReadOnlyList<string>? categories = null) => new()
        {
            Group = "",
            Version = "v1",
            Plural = plural,
            Singular = singular,
            Kind = kind,
            Namespaced = namespaced,
            ShortNames = shortNames,
            Categories = categories ?? [],
            HasStatus = hasStatus,
            ReturnsDeletedObject = returnsDeletedObject,
            StorageKey = "/" + plural,
        };
}
