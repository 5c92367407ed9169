namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>TokenRequest and TokenReview as the operator uses them to authenticate sidecars.</summary>
public sealed class TokenTests
{
    private static async Task<(V1Pod Pod, string Token)> PodTokenAsync(TestEmulator kube, string audience)
    {
        await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "demo" } });
        await kube.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "chat" } }, "demo");
        var pod = await kube.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "chat-0" },
            Spec = new V1PodSpec { ServiceAccountName = "chat", Containers = [new V1Container { Name = "c", Image = "i" }] },
        }, "demo");
        var request = await kube.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = [audience],
                ExpirationSeconds = 3600,
                BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            },
        }, "chat", "demo");
        Assert.True(request.Status.ExpirationTimestamp > DateTime.UtcNow.AddMinutes(59));
        return (pod, request.Status.Token);
    }

    private static Task<V1TokenReview> ReviewAsync(TestEmulator kube, string token, params string[] audiences) =>
        kube.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = audiences } });

    [Fact]
    public async Task A_pod_bound_token_reviews_as_that_pod_for_its_audience()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var (pod, token) = await PodTokenAsync(kube, "k8s-ws-proxy");

        var review = await ReviewAsync(kube, token, "k8s-ws-proxy");
        Assert.True(review.Status.Authenticated);
        Assert.Equal("system:serviceaccount:demo:chat", review.Status.User.Username);
        Assert.Contains("system:serviceaccounts:demo", review.Status.User.Groups);
        Assert.Equal(["chat-0"], review.Status.User.Extra["authentication.kubernetes.io/pod-name"]);
        Assert.Equal([pod.Metadata.Uid], review.Status.User.Extra["authentication.kubernetes.io/pod-uid"]);
        Assert.Equal(["k8s-ws-proxy"], review.Status.Audiences);
    }

    [Fact]
    public async Task Wrong_audience_forged_or_orphaned_tokens_are_unauthenticated()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var (_, token) = await PodTokenAsync(kube, "k8s-ws-proxy");

        var wrongAudience = await ReviewAsync(kube, token, "someone-else");
        Assert.NotEqual(true, wrongAudience.Status.Authenticated);
        Assert.Contains("audience", wrongAudience.Status.Error, StringComparison.Ordinal);

        var parts = token.Split('.');
        var forged = await ReviewAsync(kube, $"{parts[0]}.{parts[1]}.{parts[2][..^2]}AA", "k8s-ws-proxy");
        Assert.NotEqual(true, forged.Status.Authenticated);
        Assert.NotEqual(true, (await ReviewAsync(kube, "not-a-token", "k8s-ws-proxy")).Status.Authenticated);

        // A real cluster stops honouring a pod-bound token once its pod is gone.
        await kube.Client.CoreV1.DeleteNamespacedPodAsync("chat-0", "demo");
        var orphaned = await ReviewAsync(kube, token, "k8s-ws-proxy");
        Assert.NotEqual(true, orphaned.Status.Authenticated);
        Assert.Null(orphaned.Status.User?.Username);
    }

    [Fact]
    public async Task TokenRequest_needs_an_existing_service_account_and_pod()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var noAccount = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = ["x"] } }, "nobody", "default"));
        Assert.Equal(HttpStatusCode.NotFound, noAccount.Response.StatusCode);

        // Every namespace gets its "default" service account, as the service-account controller does.
        var noPod = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest
            {
                Spec = new V1TokenRequestSpec { Audiences = ["x"], BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = "ghost" } },
            }, "default", "default"));
        Assert.Equal(HttpStatusCode.NotFound, noPod.Response.StatusCode);
    }
}
