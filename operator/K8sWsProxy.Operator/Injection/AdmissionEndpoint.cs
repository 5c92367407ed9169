using System.Text.Json;
using System.Text.Json.Nodes;
using K8sWsProxy.Operator.Hosting;
using K8sWsProxy.Operator.Metrics;

namespace K8sWsProxy.Operator.Injection;

/// <summary>
/// <c>POST /mutate-pods</c> on the TLS listener (the channel's certificate): the mutating admission webhook that
/// injects the sidecar. Anything but a pod being created is allowed unchanged, as is every pod while injection is off.
/// </summary>
internal static class AdmissionEndpoint
{
    public const string Path = "/mutate-pods";

    private const long MaxBodyBytes = 4 * 1024 * 1024;

    public static void Map(WebApplication app, bool native) =>
        app.MapPost(Path, (HttpContext context, OperatorOptions options, OperatorMetrics metrics, ILoggerFactory loggers) =>
            HandleAsync(context, options.Injection, native, metrics, loggers.CreateLogger(typeof(AdmissionEndpoint))));

    private static async Task HandleAsync(HttpContext context, SidecarInjection injection, bool native, OperatorMetrics metrics, ILogger logger)
    {
        if (!context.Request.IsHttps)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // An AdmissionReview carries one object, and the API server stores none over 1.5 MiB: more is not a review.
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = MaxBodyBytes;
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            await BadRequestAsync(context, $"the body is not JSON: {e.Message}");
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsync($"an AdmissionReview is at most {MaxBodyBytes} bytes\n", context.RequestAborted);
            return;
        }

        var (request, problem) = AdmissionReview.Read(body);
        if (request is null)
        {
            await BadRequestAsync(context, problem);
            return;
        }

        var decision = !request.IsPodCreate ? InjectionDecision.Skip($"not a pod being created ({request.Operation} {request.Kind})")
            : !injection.Enabled ? InjectionDecision.Skip("injection is off (no --inject-image)")
            : SidecarPatch.For(request.Object!, injection, native);
        switch (decision.Outcome)
        {
            case InjectionOutcome.Injected:
                Log.SidecarInjected(logger, request.Subject, NativeSidecarSupport.Kind(native));
                break;
            case InjectionOutcome.Refused:
                Log.InjectionRefused(logger, request.Subject, decision.Reason);
                break;
            default:
                Log.InjectionSkipped(logger, request.Subject, decision.Reason);
                break;
        }

        metrics.Injection(decision.Outcome);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(AdmissionReview.Answer(request.Uid, decision).ToJsonString(), context.RequestAborted);
    }

    private static Task BadRequestAsync(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsync(reason + "\n", context.RequestAborted);
    }
}
