using System.Text.Json.Nodes;

namespace K8sWsProxy.Operator.Injection;

/// <summary>admission.k8s.io/v1 AdmissionReview, as the API server posts it to a mutating webhook and reads the answer.</summary>
internal static class AdmissionReview
{
    public const string ApiVersion = "admission.k8s.io/v1";

    /// <summary>The request, or null with what is wrong with the body.</summary>
    public static (AdmissionRequest? Request, string Problem) Read(JsonNode? body)
    {
        if (body is not JsonObject review || JsonText.Of(review["apiVersion"]) != ApiVersion || JsonText.Of(review["kind"]) != "AdmissionReview")
        {
            return (null, $"expected an {ApiVersion} AdmissionReview");
        }

        if (review["request"] is not JsonObject request || JsonText.Of(request["uid"]) is not { Length: > 0 } uid)
        {
            return (null, "the AdmissionReview has no request with a uid");
        }

        var kind = request["kind"];
        return (new AdmissionRequest(uid, JsonText.Of(kind?["group"]) ?? "", JsonText.Of(kind?["kind"]) ?? "", JsonText.Of(request["operation"]) ?? "",
            JsonText.Of(request["namespace"]) ?? "", request["object"] as JsonObject), "");
    }

    /// <summary>The answer: allowed or refused with the reason, and the patch (base64 JSON) unless it is empty.</summary>
    public static JsonObject Answer(string uid, InjectionDecision decision)
    {
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = decision.Allowed };
        if (!decision.Allowed)
        {
            response["status"] = new JsonObject { ["code"] = StatusCodes.Status403Forbidden, ["message"] = decision.Reason };
        }

        if (decision.Patch.Count > 0)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(decision.Patch.ToJsonString()));
        }

        return new JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = "AdmissionReview", ["response"] = response };
    }
}
