using k8s;
using k8s.Autorest;
using k8s.Models;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Operator.Compilation;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Informers;

namespace K8sWsProxy.Operator.Channel;

/// <summary>The outcome of authenticating a caller: its pod, or the HTTP status to refuse it with and why.</summary>
internal sealed record Authentication(PodRef? Pod, int Status, string Reason);

/// <summary>
/// Who is calling, from nothing but its bearer token: a TokenReview (audience k8s-ws-proxy) must accept it, and
/// the pod the token is bound to must exist, carry a sidecar and be the same pod (uid) the token was issued for.
/// Whatever the caller says about itself is ignored. Reviews are cached briefly and budgeted (<see cref="TokenReviewCache"/>).
/// </summary>
internal sealed class SidecarAuthenticator(IKubernetes client, ClusterCache cache, OperatorOptions options, TokenReviewCache reviews, ILogger<SidecarAuthenticator> logger)
{
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";
    private const string PodUidExtra = "authentication.kubernetes.io/pod-uid";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    public async Task<Authentication> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return new(null, StatusCodes.Status401Unauthorized, "no bearer token");
        }

        var token = header[7..].Trim();
        var key = TokenReviewCache.Key(token);
        if (!reviews.TryGet(key, out var status))
        {
            if (!reviews.TryTakeReview())
            {
                return new(null, StatusCodes.Status429TooManyRequests, "too many tokens to review; retry");
            }

            try
            {
                status = (await client.AuthenticationV1.CreateTokenReviewAsync(
                    new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [ChannelProtocol.Audience] } },
                    cancellationToken: cancellationToken)).Status;
            }
            catch (HttpOperationException e)
            {
                Log.TokenReviewFailed(logger, (int)e.Response.StatusCode);
                return new(null, StatusCodes.Status503ServiceUnavailable, "cannot review the token now");
            }

            reviews.Add(key, status);
        }

        if (status?.Authenticated != true || status.Audiences?.Contains(ChannelProtocol.Audience) == false)
        {
            return new(null, StatusCodes.Status401Unauthorized, "token not accepted");
        }

        var user = status.User;
        var podName = Extra(user, PodNameExtra);
        var username = user?.Username ?? "";
        var parts = username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? username[ServiceAccountPrefix.Length..].Split(':') : [];
        if (podName is null || parts.Length != 2)
        {
            return new(null, StatusCodes.Status403Forbidden, "not a pod-bound service-account token");
        }

        var ns = parts[0];
        if (options.Namespaces.Count > 0 && !options.Namespaces.Contains(ns))
        {
            return new(null, StatusCodes.Status403Forbidden, $"namespace {ns} is not watched");
        }

        var pod = cache.Pods.Get($"{ns}/{podName}") ?? await ReadSidecarPodAsync(ns, podName, cancellationToken);
        var uid = Extra(user, PodUidExtra);
        if (pod is null || (uid is not null && pod.Metadata.Uid != uid))
        {
            return new(null, StatusCodes.Status403Forbidden, $"pod {ns}/{podName} does not exist or carries no sidecar");
        }

        return new(PodRef.Of(pod), StatusCodes.Status200OK, "");
    }

    /// <summary>A pod created a moment ago may not be in the cache yet: ask, and accept it only if it carries a sidecar.</summary>
    private async Task<V1Pod?> ReadSidecarPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var list = await client.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: $"metadata.name={name}", labelSelector: options.SidecarSelector, cancellationToken: cancellationToken);
            return list.Items.FirstOrDefault();
        }
        catch (HttpOperationException)
        {
            return null;
        }
    }

    private static string? Extra(V1UserInfo? user, string key) =>
        user?.Extra is { } extra && extra.TryGetValue(key, out var values) ? values.FirstOrDefault() : null;
}
