using System.Text.Json;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Auth;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;

namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>The <c>admission.k8s.io/v1</c> AdmissionReview of a create, and the checks the API server makes of the answer.</summary>
internal static class AdmissionReview
{
    private const string ApiVersion = "admission.k8s.io/v1";

    /// <summary>What a webhook answered: <paramref name="Patch"/> is the bytes of a JSON patch, empty for none.</summary>
    public sealed record Answer(bool Allowed, byte[] Patch, JsonObject? Status);

    public static JsonObject Create(string uid, ResourceKind kind, JsonObject obj, UserInfo user, WriteOptions options)
    {
        var gvk = new JsonObject { ["group"] = kind.Group, ["version"] = kind.Version, ["kind"] = kind.Kind };
        var gvr = new JsonObject { ["group"] = kind.Group, ["version"] = kind.Version, ["resource"] = kind.Plural };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = gvk,
            ["resource"] = gvr,
            ["requestKind"] = gvk.DeepClone(),
            ["requestResource"] = gvr.DeepClone(),
        };

        // Empty for a generateName create: the name is given after admission.
        if (obj.Name().Length > 0)
        {
            request["name"] = obj.Name();
        }

        if (kind.Namespaced)
        {
            request["namespace"] = obj.Namespace();
        }

        request["operation"] = "CREATE";
        request["userInfo"] = new JsonObject { ["username"] = user.Name, ["groups"] = user.Groups.ToJsonArray() };
        request["object"] = kind.ToServed(obj);
        request["oldObject"] = null;
        request["dryRun"] = options.DryRun;
        request["options"] = CreateOptions(options);
        return new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = ApiVersion, ["request"] = request };
    }

    /// <summary>Reads a webhook's answer to the review <paramref name="uid"/>; anything the server would not accept is a <see cref="WebhookCallException"/>.</summary>
    public static Answer Read(string body, string uid)
    {
        JsonObject review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject ?? throw new WebhookCallException("failed to call webhook: the response is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new WebhookCallException($"failed to call webhook: couldn't get version/kind; json parse error: {e.Message}");
        }

        if (review["response"] is not JsonObject response)
        {
            throw Invalid("webhook response was absent");
        }

        if (response.Str("uid") != uid)
        {
            throw Invalid($"expected response.uid=\"{uid}\", got \"{response.Str("uid")}\"");
        }

        if (review.Str("apiVersion") != ApiVersion || review.Str("kind") != "AdmissionReview")
        {
            throw Invalid($"expected webhook response of {ApiVersion}, Kind=AdmissionReview, got {review.Str("apiVersion")}, Kind={review.Str("kind")}");
        }

        var patchType = response.Str("patchType");
        var patchText = response.Str("patch");
        if (patchText.Length > 0 && patchType.Length == 0)
        {
            throw Invalid("webhook returned response.patch but not response.patchType");
        }

        if (patchText.Length == 0 && patchType.Length > 0)
        {
            throw Invalid("webhook returned response.patchType but not response.patch");
        }

        if (patchType.Length > 0 && patchType != "JSONPatch")
        {
            throw new WebhookCallException($"unsupported patch type \"{patchType}\"");
        }

        return new Answer(response["allowed"] is JsonValue allowed && allowed.TryGetValue<bool>(out var yes) && yes, Patch(patchText), response["status"] as JsonObject);
    }

    private static byte[] Patch(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new WebhookCallException("failed to call webhook: illegal base64 data in response.patch");
        }
    }

    private static JsonObject CreateOptions(WriteOptions options)
    {
        var created = new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1" };
        if (options.DryRun)
        {
            created["dryRun"] = new JsonArray("All");
        }

        if (options.FieldManager.Length > 0)
        {
            created["fieldManager"] = options.FieldManager;
        }

        created["fieldValidation"] = options.FieldValidation.ToString();
        return created;
    }

    private static WebhookCallException Invalid(string why) => new($"received invalid webhook response: {why}");
}
