using K8sWsProxy.Contracts.Channel;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// <c>GET /v1/channel</c> on the TLS listener: authenticate (401/403 otherwise, before any upgrade), upgrade to a
/// WebSocket, then run the sidecar's session until either side ends it.
/// </summary>
internal static class ChannelEndpoint
{
    public static void Map(WebApplication app) => app.Map(ChannelProtocol.Path, HandleAsync);

    private static async Task HandleAsync(
        HttpContext context, SidecarAuthenticator authenticator, RefusalLog refusals, ReplacementBudget replacements, ChannelHub hub, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ChannelEndpoint));
        if (!context.Request.IsHttps)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Pod is not { } pod)
        {
            refusals.Refused(context.Connection.RemoteIpAddress?.ToString() ?? "?", auth.Status, auth.Reason);
            context.Response.StatusCode = auth.Status;
            if (auth.Status == StatusCodes.Status429TooManyRequests)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            await context.Response.WriteAsync(auth.Reason + "\n");
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        if (hub.IsConnected(pod.Key) && !replacements.TrySpend(pod.Key))
        {
            var reason = $"pod {pod.Key} replaced its channel {ReplacementBudget.PerWindow} times within {ReplacementBudget.Window.TotalSeconds:0} s; the connected session is kept";
            refusals.Refused(context.Connection.RemoteIpAddress?.ToString() ?? "?", StatusCodes.Status429TooManyRequests, reason);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = ((int)ReplacementBudget.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync(reason + "\n");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        using var session = new SidecarSession(pod, socket, hub, logger);
        Log.SidecarConnected(logger, pod.Key, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        hub.Attach(session);
        try
        {
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            hub.Detach(session);
            Log.SidecarDisconnected(logger, pod.Key);
        }
    }
}
