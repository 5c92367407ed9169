using System.Text.Json;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Auth;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Patch;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;
using K8sWsProxy.KubeEmulator.Storage;

namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>
/// The MutatingAdmissionWebhook plugin, for pod creates only: every webhook of every MutatingWebhookConfiguration
/// (by name, then in order) whose rules and selectors match is sent the pod and may patch it or refuse it.
/// </summary>
internal sealed class MutatingWebhooks(ObjectStore store, WebhookClient client)
{
    private const string ConfigurationsKey = "admissionregistration.k8s.io/mutatingwebhookconfigurations";

    /// <summary>The object after every matching webhook's patch; a denial, or a failed call under <c>failurePolicy: Fail</c>, throws.</summary>
    public JsonObject Admit(ResourceKind kind, JsonObject obj, WriteOptions options)
    {
        if (kind.StorageKey != "/pods")
        {
            return obj;
        }

        var (configurations, _) = store.List(ConfigurationsKey, "");
        if (configurations.Count == 0)
        {
            return obj;
        }

        // NamespaceLifecycle admits before webhooks: a missing namespace is a 404, not a webhook's business.
        var namespaceLabels = (store.Get(ContentCleanup.NamespaceKey, "", obj.Namespace()) ?? throw ApiException.NotFound("", "namespaces", obj.Namespace())).Labels();
        foreach (var hook in configurations.OrderBy(c => c.Name(), StringComparer.Ordinal).SelectMany(c => (c["webhooks"] as JsonArray ?? []).OfType<JsonObject>()))
        {
            if (WebhookMatch.Wants(hook, kind, obj, namespaceLabels))
            {
                obj = Call(hook, kind, obj, options);
            }
        }

        return obj;
    }

    private JsonObject Call(JsonObject hook, ResourceKind kind, JsonObject obj, WriteOptions options)
    {
        var name = hook.Str("name");
        var uid = Guid.NewGuid().ToString();
        AdmissionReview.Answer answer;
        try
        {
            // Writes are synchronous (callers hold the store's lock across a read and a commit): this request's thread waits.
            var body = client.PostAsync(hook, AdmissionReview.Create(uid, kind, obj, options.Caller ?? UserInfo.Admin, options)).GetAwaiter().GetResult();
            answer = AdmissionReview.Read(body, uid);
        }
        catch (WebhookCallException) when (hook.Str("failurePolicy") == "Ignore")
        {
            return obj;
        }
        catch (WebhookCallException e)
        {
            throw ApiException.Internal($"Internal error occurred: failed calling webhook \"{name}\": {e.Message}");
        }

        if (!answer.Allowed)
        {
            throw ApiException.WebhookDenied(name, answer.Status);
        }

        if (answer.Patch.Length == 0)
        {
            return obj;
        }

        // A patch that does not apply is the server's error whatever the failure policy, as on a real one.
        try
        {
            return JsonPatch.Apply(obj, JsonNode.Parse(answer.Patch)) as JsonObject
                ?? throw ApiException.Internal($"Internal error occurred: admission webhook \"{name}\" replaced the object with something else");
        }
        catch (JsonException e)
        {
            throw ApiException.Internal($"Internal error occurred: {e.Message}");
        }
        catch (ApiException e) when (e.Code != 500)
        {
            throw ApiException.Internal($"Internal error occurred: {e.Message}");
        }
    }
}
