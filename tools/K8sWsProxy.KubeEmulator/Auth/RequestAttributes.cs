namespace K8sWsProxy.KubeEmulator.Auth;

/// <summary>What a resource request asks to do, in RBAC's terms (the verb, not the HTTP method).</summary>
internal sealed record RequestAttributes(string Verb, string Group, string Resource, string Subresource, string Namespace, string Name)
{
    public string QualifiedResource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";

    /// <summary>The verb of an HTTP method on a path: GET of a collection is list (or watch), DELETE of one is deletecollection.</summary>
    public static string VerbOf(string method, bool named, bool watch) => method switch
    {
        "GET" or "HEAD" when watch => "watch",
        "GET" or "HEAD" => named ? "get" : "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => named ? "delete" : "deletecollection",
        _ => method.ToLowerInvariant(),
    };
}
