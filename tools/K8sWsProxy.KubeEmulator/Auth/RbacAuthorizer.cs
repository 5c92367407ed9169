using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Storage;

namespace K8sWsProxy.KubeEmulator.Auth;

/// <summary>
/// The RBAC authorizer over the Roles, ClusterRoles and bindings in the store: a request is allowed when a
/// ClusterRoleBinding, or a RoleBinding in the request's namespace, binds one of the user's subjects to a role with
/// a rule matching it. system:masters is allowed everything, as the real server's superuser group is.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    public bool Allows(UserInfo user, RequestAttributes request)
    {
        if (user.IsMaster)
        {
            return true;
        }

        var (clusterBindings, _) = store.List(RbacGroup + "/clusterrolebindings", "");
        if (clusterBindings.Where(b => Binds(b, user)).Any(b => RoleRules(b, "").Any(r => Matches(r, request))))
        {
            return true;
        }

        if (request.Namespace.Length == 0)
        {
            return false;
        }

        var (bindings, _) = store.List(RbacGroup + "/rolebindings", request.Namespace);
        return bindings.Where(b => Binds(b, user)).Any(b => RoleRules(b, request.Namespace).Any(r => Matches(r, request)));
    }

    /// <summary>The real server's words for a denial: "pods is forbidden: User "…" cannot list resource "pods" in API group "" in the namespace "demo"".</summary>
    public static string Denial(UserInfo user, RequestAttributes request) =>
        $"User \"{user.Name}\" cannot {request.Verb} resource \"{request.QualifiedResource}\" in API group \"{request.Group}\" "
        + (request.Namespace.Length > 0 ? $"in the namespace \"{request.Namespace}\"" : "at the cluster scope");

    private static bool Binds(JsonObject binding, UserInfo user) =>
        (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().Any(s => s.Str("kind") switch
        {
            "User" => s.Str("name") == user.Name,
            "Group" => user.Groups.Contains(s.Str("name")),
            "ServiceAccount" => user.ServiceAccount == (s.Str("namespace").Length > 0 ? s.Str("namespace") : binding.Namespace(), s.Str("name")),
            _ => false,
        });

    private IEnumerable<JsonObject> RoleRules(JsonObject binding, string ns)
    {
        var roleRef = binding["roleRef"] as JsonObject;
        var role = roleRef.Str("kind") == "ClusterRole"
            ? store.Get(RbacGroup + "/clusterroles", "", roleRef.Str("name"))
            : store.Get(RbacGroup + "/roles", ns, roleRef.Str("name"));
        return (role?["rules"] as JsonArray ?? []).OfType<JsonObject>();
    }

    private static bool Matches(JsonObject rule, RequestAttributes request)
    {
        static bool Has(JsonObject rule, string field, string value) =>
            (rule[field] as JsonArray ?? []).Any(v => v?.ToString() is { } x && (x == "*" || x == value));

        var resources = (rule["resources"] as JsonArray ?? []).Select(r => r?.ToString() ?? "").ToArray();
        var resourceMatches = resources.Any(r => r == "*" || r == request.QualifiedResource
            || (request.Subresource.Length > 0 && r == "*/" + request.Subresource));
        var names = (rule["resourceNames"] as JsonArray ?? []).Select(n => n?.ToString() ?? "").ToArray();
        return Has(rule, "verbs", request.Verb)
            && Has(rule, "apiGroups", request.Group)
            && resourceMatches
            && (names.Length == 0 || names.Contains(request.Name));
    }
}
