using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>
/// Requests are allowed or denied by the caller's identity against the Roles, ClusterRoles and bindings in the
/// emulator, as the RBAC authorizer does: a service account can do what its bindings grant and nothing more.
/// </summary>
public sealed class AuthorizationTests
{
    private static async Task<Kubernetes> ClientForAsync(TestEmulator kube, string ns, string account, string? audience = null)
    {
        if (ns != "default")
        {
            await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }

        await kube.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = account } }, ns);
        var request = await kube.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = audience is null ? null : [audience] } }, account, ns);
        return new Kubernetes(new KubernetesClientConfiguration { Host = kube.Emulator.Url.ToString(), AccessToken = request.Status.Token });
    }

    private static async Task<HttpOperationException> DeniedAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        return error;
    }

    [Fact]
    public async Task A_service_account_can_do_what_its_bindings_grant_and_nothing_more()
    {
        await using var kube = await StartAsync(withCrd: false);
        using var app = await ClientForAsync(kube, "app", "reader");
        await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });

        var error = await DeniedAsync(() => app.CoreV1.ListNamespacedPodAsync("app"));
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:app:reader\" cannot list resource \"pods\" in API group \"\" in the namespace \"app\"", status["message"]!.ToString());
        Assert.Equal("Forbidden", status["reason"]!.ToString());

        await kube.Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "pod-reader" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch"] }],
        }, "app");
        await kube.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "reader" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pod-reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "reader", NamespaceProperty = "app" }],
        }, "app");

        Assert.Empty((await app.CoreV1.ListNamespacedPodAsync("app")).Items);
        await DeniedAsync(() => app.CoreV1.ListNamespacedPodAsync("other"));
        await DeniedAsync(() => app.CoreV1.DeleteCollectionNamespacedPodAsync("app"));
        var named = await DeniedAsync(() => app.CoreV1.ReadNamespacedSecretAsync("s", "app"));
        Assert.StartsWith("secrets \"s\" is forbidden: User", JsonNode.Parse(named.Response.Content)!["message"]!.ToString(), StringComparison.Ordinal);

        // A ClusterRole bound cluster-wide, limited to one name and a subresource.
        await kube.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "one-lease" },
            Rules = [new V1PolicyRule { ApiGroups = ["coordination.k8s.io"], Resources = ["leases"], ResourceNames = ["mine"], Verbs = ["get"] }],
        });
        await kube.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "one-lease" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "one-lease" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "system:serviceaccounts:app" }],
        });
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => app.CoordinationV1.ReadNamespacedLeaseAsync("mine", "other"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        await DeniedAsync(() => app.CoordinationV1.ReadNamespacedLeaseAsync("theirs", "other"));
        await DeniedAsync(() => app.CoordinationV1.ListNamespacedLeaseAsync("other"));
    }

    [Fact]
    public async Task Tokens_for_another_audience_or_of_a_deleted_account_are_unauthorized()
    {
        await using var kube = await StartAsync(withCrd: false);
        using var foreign = await ClientForAsync(kube, "app", "sidecar", audience: "k8s-ws-proxy");
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => foreign.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.Response.StatusCode);

        using var gone = await ClientForAsync(kube, "default", "temporary");
        await kube.Client.CoreV1.DeleteNamespacedServiceAccountAsync("temporary", "default");
        error = await Assert.ThrowsAsync<HttpOperationException>(() => gone.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.Response.StatusCode);
    }

    [Fact]
    public async Task Access_reviews_and_kubectl_auth_can_i_answer_from_the_same_rules()
    {
        await using var kube = await StartAsync();
        await kube.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "status-writer" },
            Rules = [new V1PolicyRule { ApiGroups = ["k8swsproxy.io"], Resources = ["websocketroutes/status"], Verbs = ["patch"] }],
        });
        await kube.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "status-writer" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "status-writer" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "operator", NamespaceProperty = "default" }],
        });

        async Task<bool> AllowedAsync(string verb, string resource, string subresource) =>
            (await kube.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = "system:serviceaccount:default:operator",
                    ResourceAttributes = new V1ResourceAttributes { Verb = verb, Group = "k8swsproxy.io", Resource = resource, Subresource = subresource, NamespaceProperty = "demo" },
                },
            })).Status.Allowed;

        Assert.True(await AllowedAsync("patch", "websocketroutes", "status"));
        Assert.False(await AllowedAsync("patch", "websocketroutes", ""));

        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        var yes = await kubectl.RunAsync("auth", "can-i", "patch", "websocketroutes.k8swsproxy.io", "--subresource=status", "-n", "demo", "--as=system:serviceaccount:default:operator");
        Assert.Equal("yes", yes.Stdout.Trim());
        var no = await kubectl.RunAsync("auth", "can-i", "delete", "pods", "-n", "demo", "--as=system:serviceaccount:default:operator");
        Assert.Equal(("no", 1), (no.Stdout.Trim(), no.ExitCode));
        Assert.Equal("yes", (await kubectl.RunAsync("auth", "can-i", "delete", "pods", "-n", "demo")).Stdout.Trim());
    }
}
