using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>
/// A request path resolved to a resource, like apiserver's RequestInfoFactory:
/// <c>{prefix}[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]</c>, where <c>/api/v1/namespaces/{name}</c>
/// is the namespace object itself.
/// </summary>
internal sealed record ResourcePath(ResourceKind Kind, string Namespace, string Name, string Subresource)
{
    /// <summary>Resolves <paramref name="segments"/> after the group/version prefix; null when it is not a resource path.</summary>
    public static ResourcePath? Resolve(ResourceRegistry registry, string group, string version, string[] segments, string path)
    {
        var ns = "";
        var rest = segments;
        if (rest.Length > 2 && rest[0] == "namespaces" && rest[2] is not ("status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length is 0 or > 3)
        {
            return null;
        }

        var kind = registry.Find(group, version, rest[0]) ?? throw ApiException.NotFoundPath(path);
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 ? rest[2] : "";
        if ((kind.Namespaced && ns.Length == 0 && name.Length > 0) || (!kind.Namespaced && ns.Length > 0))
        {
            // A namespaced object addressed without its namespace, or a cluster object under one.
            throw ApiException.NotFoundPath(path);
        }

        var known = subresource.Length == 0 || Registry.Subresource.Of(kind).Any(s => s.Name == subresource);
        return known ? new ResourcePath(kind, ns, name, subresource) : throw ApiException.NotFoundPath(path);
    }
}
