using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Auth;

/// <summary>
/// SubjectAccessReview (may a given user do this?) and SelfSubjectAccessReview (may I? — what
/// <c>kubectl auth can-i</c> asks), answered by the same authorizer that guards every request.
/// </summary>
internal static class AccessReview
{
    /// <param name="caller">The requester for a self review; null: the user is the one in the review's spec.</param>
    public static JsonObject Answer(RbacAuthorizer authorizer, JsonObject review, UserInfo? caller)
    {
        var spec = review["spec"] as JsonObject ?? [];
        var user = caller ?? new UserInfo(spec.Str("user"), [.. (spec["groups"] as JsonArray ?? []).Select(g => g?.ToString() ?? "")]);
        var response = review.CloneObject();
        response["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        if (spec["resourceAttributes"] is not JsonObject resource)
        {
            // Non-resource URLs (/healthz, /version, discovery) are open to every authenticated user.
            response["status"] = new JsonObject { ["allowed"] = user.Groups.Contains("system:authenticated") || user.IsMaster };
            return response;
        }

        var request = new RequestAttributes(
            resource.Str("verb"), resource.Str("group"), resource.Str("resource"), resource.Str("subresource"), resource.Str("namespace"), resource.Str("name"));
        // RBAC gives no reason for a denial, so kubectl auth can-i prints a bare "no".
        response["status"] = authorizer.Allows(user, request)
            ? new JsonObject { ["allowed"] = true, ["reason"] = "allowed by RBAC" }
            : new JsonObject { ["allowed"] = false };
        return response;
    }
}
