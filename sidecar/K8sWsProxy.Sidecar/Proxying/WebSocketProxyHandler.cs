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
        var headers = context.Request.Headers;
        if (configs.Current.Table.Match(context.Request.Host.Value ?? "", context.Request.Path.Value ?? "/", name => headers[name].OfType<string>()) is not { } route)
        {
            await ErrorResponses.WriteAsync(context, StatusCodes.Status404NotFound, "no route matches this request", null);
            return;
        }

        if (!IsWebSocketRequest(context))
        {
            await Refuse(context, route, Refusal.NotWebSocket);
            return;
        }

        if (WebSocketHandshake.CheckRequest(context.Request.Headers.SecWebSocketVersion, context.Request.Protocol == "HTTP/2" ? null : context.Request.Headers.SecWebSocketKey.ToString()) is { } invalid)
        {
            await Refuse(context, route, invalid);
            return;
        }

        if (HandshakePolicy.Admit(ref route, configs, drainer, context.Request.Headers.Origin, context.Request.Headers.SecWebSocketProtocol, out var subprotocols) is { } refusal)
        {
            await Refuse(context, route, refusal);
            return;
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
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var endpoint = route.Selector.Select(name => context.Request.Headers[name].ToString() is { Length: > 0 } value ? value : null, tried);
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
                        new UpstreamRequestTransformer(route, endpoint, track ? tunnel : null, subprotocols),
                        deadline.Token);
                }
                finally
                {
                    endpoint.ConnectionClosed();
                }

                if (upgraded)
                {
                    var outcome = track ? await tunnel.Completion : TunnelOutcome.Untracked;
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
                    if (context.Response.StatusCode >= 500)
                    {
                        endpoint.Failed(time.GetTimestamp(), $"answered the handshake with {context.Response.StatusCode}");
                    }

                    return;
                }

                var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.GetBaseException().Message ?? error.ToString();
                if (deadline.IsCancellationRequested)
                {
                    endpoint.Failed(time.GetTimestamp(), $"no handshake answer within {route.Config.Timeouts.Handshake}");
                    await Refuse(context, route, Refusal.HandshakeTimeout(route));
                    return;
                }

                endpoint.Failed(time.GetTimestamp(), reason);
                Log.ConnectFailed(logger, route.Key, endpoint.Config.Url, attempt, retry.Attempts, reason);
                if (error is not (ForwarderError.Request or ForwarderError.RequestTimedOut) || attempt >= retry.Attempts)
                {
                    await Refuse(context, route, Refusal.Unreachable(reason));
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
                    await Refuse(context, route, Refusal.HandshakeTimeout(route));
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

    private Task Refuse(HttpContext context, RouteRuntime route, Refusal refusal)
    {
        refusal.Record(logger, route);
        return ErrorResponses.WriteAsync(context, refusal.Status, refusal.Error, route.Key);
    }

    /// <summary>An HTTP/1.1 Upgrade to websocket, or an HTTP/2 extended CONNECT with :protocol websocket.</summary>
    private static bool IsWebSocketRequest(HttpContext context)
    {
        var connect = context.Features.Get<IHttpExtendedConnectFeature>();
        if (connect is { IsExtendedConnect: true })
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
        }

        // Not context.WebSockets: that needs the WebSockets middleware, which would terminate the socket here.
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        return upgrade is { IsUpgradableRequest: true }
            && HttpMethods.IsGet(context.Request.Method)
            && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
    }
}
