using System.Text.Json;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>The small JSON body of every error the proxy answers itself: <c>{"error": …, "route": …}</c>.</summary>
internal static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, int status, string error, string? route)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status == StatusCodes.Status426UpgradeRequired)
        {
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.SecWebSocketVersion = "13";
        }

        await JsonSerializer.SerializeAsync(context.Response.Body, new ErrorBody(error, route), ErrorJson.Default.ErrorBody, context.RequestAborted);
    }
}

/// <summary>The JSON body of an error answer.</summary>
internal sealed record ErrorBody(string Error, string? Route);

[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ErrorJson : System.Text.Json.Serialization.JsonSerializerContext;
