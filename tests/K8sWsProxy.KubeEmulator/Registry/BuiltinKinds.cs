namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>The built-in resources the operator and kubectl need; everything else comes from CRDs.</summary>
internal static class BuiltinKinds
{
    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        Core("namespaces", "namespace", "Namespace", namespaced: false, ["ns"], hasStatus: true),
        Core("pods", "pod", "Pod", namespaced: true, ["po"], hasStatus: true, returnsDeletedObject: true, categories: ["all"]),
        Core("secrets", "secret", "Secret", namespaced: true, []),
        Core("configmaps", "configmap", "ConfigMap", namespaced: true, ["cm"]),
        Core("serviceaccounts", "serviceaccount", "ServiceAccount", namespaced: true, ["sa"]),
        Core("events", "event", "Event", namespaced: true, ["ev"]),
        new ResourceKind
        {
            Group = "events.k8s.io", Version = "v1", Plural = "events", Singular = "event", Kind = "Event",
            Namespaced = true, ShortNames = ["ev"], StorageKey = "/events", View = new EventsV1View(),
        },
        new ResourceKind
        {
            Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease",
            Namespaced = true, StorageKey = "coordination.k8s.io/leases",
        },
        new ResourceKind
        {
            Group = "apiextensions.k8s.io", Version = "v1", Plural = "customresourcedefinitions",
            Singular = "customresourcedefinition", Kind = "CustomResourceDefinition", Namespaced = false,
            ShortNames = ["crd", "crds"], HasStatus = true, TracksGeneration = true,
            StorageKey = "apiextensions.k8s.io/customresourcedefinitions",
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
