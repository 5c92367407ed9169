using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// The end of YARP's pipeline for our routes: checks the handshake, picks an endpoint, forwards with connect
/// retries across endpoints and backoff under one handshake deadline, and runs the upgraded connection through a
/// frame-tracking tunnel. Failures before the upgrade become small JSON errors. It is the last step: nothing after
/// it in the pipeline runs.
/// </summary>
internal sealed class WebSocketProxyHandler(
    IHttpForwarder forwarder,
    ConfigApplier configs,
    RouteDrainer drainer,
    SidecarOptions sidecarOptions,
    TunnelScheduler scheduler,
    TimeProvider time,
    ILogger<WebSocketProxyHandler> logger)
{
    /// <summary>YARP's activity timeout would cut an idle WebSocket without a close frame; the tunnel owns idleness instead.</summary>
    private static readonly TimeSpan NoActivityTimeout = TimeSpan.FromDays(7);

    public async Task InvokeAsync(HttpContext context)
    {
        var routeId = context.GetReverseProxyFeature().Route.Config.RouteId;
        if (!configs.Current.Routes.TryGetValue(routeId, out var route))
        {
            await ErrorResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "route is being reconfigured, retry", routeId);
            return;
        }

        if (!HandshakePolicy.IsWebSocketRequest(context))
        {
            await Refuse(context, route, StatusCodes.Status426UpgradeRequired, "this route only accepts WebSocket requests", "not_websocket");
            return;
        }

        var options = route.Config.WebSocket;
        if (!HandshakePolicy.OriginAllowed(options, context))
        {
            await Refuse(context, route, StatusCodes.Status403Forbidden, "origin not allowed", "origin");
            return;
        }

        if (!HandshakePolicy.FilterSubprotocols(options, context, out var subprotocols))
        {
            await Refuse(context, route, StatusCodes.Status403Forbidden, "none of the requested subprotocols is allowed", "subprotocol");
            return;
        }

        if (drainer.ShuttingDown)
        {
            await Refuse(context, route, StatusCodes.Status503ServiceUnavailable, "proxy shutting down", "shutting_down");
            return;
        }

        if (!route.TryAcquireConnection())
        {
            await Refuse(context, route, StatusCodes.Status503ServiceUnavailable, "connection limit reached", "connection_limit");
            return;
        }

        if (route.Retired && configs.Current.Routes.GetValueOrDefault(route.Key) is { } successor && successor.TryAcquireConnection())
        {
            // A document replaced the route between the lookup and now: use its successor, whose upstream client
            // is not about to be disposed.
            route.ReleaseConnection();
            route = successor;
        }

        try
        {
            await ForwardAsync(context, route, subprotocols);
        }
        finally
        {
            route.ReleaseConnection();
        }
    }

    private async Task ForwardAsync(HttpContext context, RouteRuntime route, string? subprotocols)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(route.HandshakeTimeout);
        var tunnel = new WebSocketTunnel(route.TunnelOptions, route.ToUpstream, route.ToClient, time);
        var track = sidecarOptions.FrameTracking;
        var upgraded = false;
        IDisposable? registration = null;
        var endpointUrl = "";
        var started = time.GetTimestamp();
        var upgradedAt = 0L;
        void Upgraded()
        {
            // The upstream said 101: from here the connection lives as long as the peers want.
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            upgradedAt = time.GetTimestamp();
            route.Metrics.Upgraded(time.GetElapsedTime(started, upgradedAt));
            upgraded = true;
            if (track)
            {
                route.Tunnels.TryAdd(tunnel, endpointUrl);
                registration = scheduler.Register(tunnel);
            }
        }

        InstallUpgradeFeatures(context, track ? tunnel : null, Upgraded);
        var retry = route.Config.Upstream.Retry;
        var delay = route.RetryInitialInterval;
        var tried = 0UL;
        var transforms = context.GetReverseProxyFeature().Route.Transformer;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var endpoint = route.Selector.Select(context, tried);
                endpointUrl = endpoint.Config.Url;
                endpoint.ConnectionOpened();
                ForwarderError error;
                try
                {
                    error = await forwarder.SendAsync(
                        context,
                        endpoint.HttpUrl.GetLeftPart(UriPartial.Authority),
                        route.Client,
                        new ForwarderRequestConfig { ActivityTimeout = NoActivityTimeout, Version = endpoint.HttpVersion, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
                        new UpstreamRequestTransformer(transforms, route, endpoint, track ? tunnel : null, subprotocols),
                        deadline.Token);
                }
                finally
                {
                    endpoint.ConnectionClosed();
                }

                if (upgraded)
                {
                    var outcome = track ? await tunnel.Completion : Untracked;
                    route.Metrics.Ended(outcome, time.GetElapsedTime(upgradedAt));
                    Log.TunnelEnded(logger, route.Key, endpoint.Config.Url, outcome.ToString());
                    return;
                }

                if (context.RequestAborted.IsCancellationRequested)
                {
                    route.Metrics.HandshakeFailed("client_gone", upstream: false);
                    return;
                }

                if (error == ForwarderError.None || context.Response.HasStarted)
                {
                    // The upstream answered the handshake with a status of its own, which went to the client as it was.
                    route.Metrics.HandshakeFailed("upstream_status", upstream: true);
                    return;
                }

                var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.GetBaseException().Message ?? error.ToString();
                if (deadline.IsCancellationRequested)
                {
                    await Refuse(context, route, StatusCodes.Status504GatewayTimeout, $"upstream handshake timed out after {route.Config.Timeouts.Handshake}", "handshake_timeout");
                    return;
                }

                Log.ConnectFailed(logger, route.Key, endpoint.Config.Url, attempt, retry.Attempts, reason);
                if (error is not (ForwarderError.Request or ForwarderError.RequestTimedOut) || attempt >= retry.Attempts)
                {
                    await Refuse(context, route, StatusCodes.Status502BadGateway, $"no upstream endpoint accepted the connection: {reason}", "upstream_unreachable");
                    return;
                }

                tried |= 1UL << endpoint.Index;
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
                try
                {
                    await Task.Delay(delay, time, deadline.Token);
                }
                catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                {
                    await Refuse(context, route, StatusCodes.Status504GatewayTimeout, $"upstream handshake timed out after {route.Config.Timeouts.Handshake}", "handshake_timeout");
                    return;
                }

                delay = TimeSpan.FromTicks((long)Math.Min(delay.Ticks * retry.Growth, route.HandshakeTimeout.Ticks));
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left during the handshake: nobody to answer.
            route.Metrics.HandshakeFailed("client_gone", upstream: false);
        }
        finally
        {
            if (registration is not null)
            {
                registration.Dispose();
                route.Tunnels.TryRemove(tunnel, out _);
                // A reload may have handed the connection to the route's successor.
                configs.Current.Routes.GetValueOrDefault(route.Key)?.Tunnels.TryRemove(tunnel, out _);
            }
        }
    }

    /// <summary>What an untracked connection (frame tracking off) reports when it ends: nothing was seen.</summary>
    private static readonly TunnelOutcome Untracked = new(null, null, CloseInitiator.Proxy, "untracked");

    /// <param name="tunnel">Null when frame tracking is off: the upgrade is noticed, the streams are not wrapped.</param>
    private static void InstallUpgradeFeatures(HttpContext context, WebSocketTunnel? tunnel, Action upgraded)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new TunnelUpgradeFeature(upgrade, tunnel, upgraded));
        }

        if (context.Features.Get<IHttpExtendedConnectFeature>() is { } connect)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(new TunnelExtendedConnectFeature(connect, tunnel, upgraded));
        }
    }

    /// <param name="reason">The metric label: a short, fixed word, never request data.</param>
    private Task Refuse(HttpContext context, RouteRuntime route, int status, string error, string reason)
    {
        route.Metrics.HandshakeFailed(reason, upstream: status is >= 502 and <= 504 && reason is not ("shutting_down" or "connection_limit"));
        Log.HandshakeFailed(logger, route.Key, status, error);
        return ErrorResponses.WriteAsync(context, status, error, route.Key);
    }
}
