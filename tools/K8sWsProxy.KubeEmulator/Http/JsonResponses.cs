using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>Writes JSON bodies and Status errors.</summary>
internal static class JsonResponses
{
    public static async Task WriteAsync(HttpContext context, int statusCode, JsonNode body, string contentType = "application/json")
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, ApiException error)
    {
        if (error.Code == 429)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return WriteAsync(context, error.Code, error.ToStatus());
    }
}
