using System.Text.Json.Nodes;
using k8s.Models;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>
/// The built-in resources the operator, kubectl and the chart (through helm) need; everything else comes from CRDs.
/// Each has the schema of its KubernetesClient model (<see cref="ModelSchema"/>), except Events, which
/// EventValidation checks in both of their versions.
/// </summary>
internal static class BuiltinKinds
{
    // First: static fields initialise in textual order.
    private static readonly (string, string, string, int) Age = ("Age", "date", ".metadata.creationTimestamp", 0);

    public static ResourceKind Namespaces { get; } = Core("namespaces", "namespace", "Namespace", namespaced: false, ["ns"], hasStatus: true) with
    {
        Schema = ModelSchema.Of<V1Namespace>(),
        PrinterColumns = Columns(("Status", "string", ".status.phase", 0), Age),
    };

    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        Namespaces,
        Core("pods", "pod", "Pod", namespaced: true, ["po"], hasStatus: true, returnsDeletedObject: true, categories: ["all"]) with
        {
            Schema = ModelSchema.Of<V1Pod>(),
            PrinterColumns = Columns(("Status", "string", ".status.phase", 0), Age, ("IP", "string", ".status.podIP", 1), ("Node", "string", ".spec.nodeName", 1)),
        },
        Core("secrets", "secret", "Secret", namespaced: true, []) with
        {
            Schema = ModelSchema.Of<V1Secret>(),
            PrinterColumns = Columns(("Type", "string", ".type", 0), Age),
        },
        Core("configmaps", "configmap", "ConfigMap", namespaced: true, ["cm"]) with { Schema = ModelSchema.Of<V1ConfigMap>() },
        Core("serviceaccounts", "serviceaccount", "ServiceAccount", namespaced: true, ["sa"]) with { Schema = ModelSchema.Of<V1ServiceAccount>() },
        Core("services", "service", "Service", namespaced: true, ["svc"], hasStatus: true, categories: ["all"]) with
        {
            Schema = ModelSchema.Of<V1Service>(),
            PrinterColumns = Columns(("Type", "string", ".spec.type", 0), ("Cluster-IP", "string", ".spec.clusterIP", 0), Age),
        },
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
            Namespaced = true, StorageKey = "coordination.k8s.io/leases", Schema = ModelSchema.Of<V1Lease>(),
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
        Grouped("apps", "deployments", "Deployment", namespaced: true, ModelSchema.Of<V1Deployment>(), ["deploy"]) with
        {
            HasStatus = true, TracksGeneration = true, Categories = ["all"],
            PrinterColumns = Columns(("Up-to-date", "integer", ".status.updatedReplicas", 0), ("Available", "integer", ".status.availableReplicas", 0), Age),
        },
        Grouped("policy", "poddisruptionbudgets", "PodDisruptionBudget", namespaced: true, ModelSchema.Of<V1PodDisruptionBudget>(), ["pdb"]) with
        {
            HasStatus = true, TracksGeneration = true,
        },
        Grouped(Rbac, "roles", "Role", namespaced: true, ModelSchema.Of<V1Role>()),
        Grouped(Rbac, "rolebindings", "RoleBinding", namespaced: true, ModelSchema.Of<V1RoleBinding>()) with
        {
            PrinterColumns = Columns(("Role", "string", ".roleRef.name", 0), Age),
        },
        Grouped(Rbac, "clusterroles", "ClusterRole", namespaced: false, ModelSchema.Of<V1ClusterRole>()),
        Grouped(Rbac, "clusterrolebindings", "ClusterRoleBinding", namespaced: false, ModelSchema.Of<V1ClusterRoleBinding>()) with
        {
            PrinterColumns = Columns(("Role", "string", ".roleRef.name", 0), Age),
        },
        Grouped("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", namespaced: false, ModelSchema.Of<V1MutatingWebhookConfiguration>()) with
        {
            TracksGeneration = true,
        },
    ];

    public static ResourceKind TokenReview { get; } = Review("authentication.k8s.io", "tokenreviews", "TokenReview");

    public static ResourceKind SubjectAccessReview { get; } = Review("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview");

    public static ResourceKind SelfSubjectAccessReview { get; } = Review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview");

    /// <summary>Kinds served only as a POST that answers and stores nothing.</summary>
    public static IReadOnlyList<ResourceKind> Reviews { get; } = [TokenReview, SubjectAccessReview, SelfSubjectAccessReview];

    private const string Rbac = "rbac.authorization.k8s.io";

    // The columns of the real server's table printers that a JSONPath can express (no READY 1/1, no DATA count).
    private static JsonArray Columns(params (string Name, string Type, string JsonPath, int Priority)[] columns) =>
        new(columns.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["jsonPath"] = c.JsonPath, ["priority"] = c.Priority }).ToArray());

    private static ResourceKind Review(string group, string plural, string kind) =>
        Grouped(group, plural, kind, namespaced: false, schema: null) with { Verbs = ["create"] };

    private static ResourceKind Grouped(string group, string plural, string kind, bool namespaced, JsonObject? schema, IReadOnlyList<string>? shortNames = null) => new()
    {
        Group = group,
        Version = "v1",
        Plural = plural,
        Singular = kind.ToLowerInvariant(),
        Kind = kind,
        Namespaced = namespaced,
        ShortNames = shortNames ?? [],
        Schema = schema,
        StorageKey = $"{group}/{plural}",
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
