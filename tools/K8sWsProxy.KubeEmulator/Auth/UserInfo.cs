namespace K8sWsProxy.KubeEmulator.Auth;

/// <summary>Who made a request, as authentication found it: what RBAC subjects are matched against.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    /// <summary>The kubeconfig's user: a member of system:masters, which RBAC never consults.</summary>
    public static UserInfo Admin { get; } = new("kube-emulator-admin", ["system:masters", "system:authenticated"]);

    /// <summary>Who <c>kubectl --as NAME --as-group G</c> asks to be: authenticated, and a service account's groups for one.</summary>
    public static UserInfo Impersonated(string name, IReadOnlyList<string> groups)
    {
        var user = new UserInfo(name, [.. groups, "system:authenticated"]);
        return user.ServiceAccount is var (ns, _) ? user with { Groups = [.. user.Groups, "system:serviceaccounts", "system:serviceaccounts:" + ns] } : user;
    }

    public bool IsMaster => Groups.Contains("system:masters");

    /// <summary>For a service account: its namespace and name; otherwise null.</summary>
    public (string Namespace, string Name)? ServiceAccount =>
        Name.Split(':') is ["system", "serviceaccount", var ns, var name] ? (ns, name) : null;
}
