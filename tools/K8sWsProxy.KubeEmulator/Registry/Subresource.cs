namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>A subresource a kind serves, with the kind its requests and answers carry.</summary>
internal sealed record Subresource(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs)
{
    /// <summary>The one list routing and both discovery forms read: status where declared, token on service accounts.</summary>
    public static IReadOnlyList<Subresource> Of(ResourceKind kind)
    {
        var subresources = new List<Subresource>();
        if (kind.HasStatus)
        {
            subresources.Add(new Subresource("status", kind.Group, kind.Version, kind.Kind, ["get", "patch", "update"]));
        }

        if (kind.StorageKey == "/serviceaccounts")
        {
            subresources.Add(new Subresource("token", "authentication.k8s.io", "v1", "TokenRequest", ["create"]));
        }

        return subresources;
    }
}
