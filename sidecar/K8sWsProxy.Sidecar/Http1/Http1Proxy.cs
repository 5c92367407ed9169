using System.Net;
using System.Net.Sockets;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;
using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// Serves one client connection of the HTTP/1.1 listeners from accept to close: reads the handshake (strict and
/// bounded), routes it, checks it, opens the upstream with connect retries across endpoints under one handshake
/// deadline, relays the upstream's answer, and then owns both connections for the WebSocket's life. Refusals are
/// the same JSON errors the other listener gives; the connection closes after any answer but a 101.
/// </summary>
internal sealed class Http1Proxy(ConfigApplier configs, RouteDrainer drainer, SidecarOptions options, TunnelScheduler scheduler, PendingHandshakes pending, TimeProvider time, ILogger<Http1Proxy> logger)
{
    /// <summary>A client gets this long to send its request head (slowloris), plus up to <see cref="HeadTimeoutSpread"/>.</summary>
    internal static readonly TimeSpan RequestHeadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connections opened together (thousands of half-open ones) are not all cut in the same instant: their 408s,
    /// and the work of sending them, spread over a second instead of landing on the relay and on the peer at once.
    /// </summary>
    internal static readonly TimeSpan HeadTimeoutSpread = TimeSpan.FromSeconds(1);

    /// <summary>The head timeout of one connection: <see cref="RequestHeadTimeout"/> and a random part of the spread.</summary>
    internal static TimeSpan HeadTimeout() => RequestHeadTimeout + (HeadTimeoutSpread * Random.Shared.NextDouble());

    /// <summary>A connection of the plain listener.</summary>
    public Task ServeAsync(Socket socket)
    {
        var address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None; // read before the stream takes the socket
        return ServeAsync(new SocketStream(socket), address, "http");
    }

    /// <param name="client">Owned: disposed when the connection is over.</param>
    /// <param name="scheme">What the client spoke, for X-Forwarded-Proto: http, or https once TLS is off its bytes.</param>
    public async Task ServeAsync(Stream client, IPAddress clientAddress, string scheme)
    {
        // The handshake's state (the parsed heads, the retry loop) is gone once it returns: an idle WebSocket keeps
        // only what the relay needs.
        Upgraded? upgraded = null;
        try
        {
            using (pending.Begin())
            {
                upgraded = await HandshakeAsync(client, clientAddress, scheme);
            }

            if (upgraded is not null)
            {
                // The WebSocket's life, in this method's frame: a frame of its own would be one more per open connection.
                var outcome = TunnelOutcome.Untracked;
                if (!options.FrameTracking)
                {
                    await Relay.RunUntrackedAsync(client, upgraded.Upstream, upgraded.FromClient, upgraded.FromUpstream);
                }
                else
                {
                    var tunnel = Track(upgraded);
                    try
                    {
                        using (scheduler.Register(tunnel))
                        {
                            await Relay.RunAsync(tunnel, client, Upstream(upgraded, tunnel), upgraded.FromClient, upgraded.Route.Messages is null ? upgraded.FromUpstream : default);
                            outcome = await tunnel.Completion;
                        }
                    }
                    finally
                    {
                        Untrack(tunnel, upgraded.Route);
                    }
                }

                upgraded.Route.Metrics.Ended(outcome, time.GetElapsedTime(upgraded.UpgradedAt));
                Log.TunnelEnded(logger, upgraded.Route.Key, upgraded.CurrentEndpoint.Config.Url, outcome.ToString());
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away mid-answer.
        }
        finally
        {
            await client.DisposeAsync();
            if (upgraded is not null)
            {
                await upgraded.Upstream.DisposeAsync();
                upgraded.CurrentEndpoint.ConnectionClosed();
                upgraded.Route.ReleaseConnection();
            }
        }
    }

    /// <summary>
    /// Everything up to the 101 sent to the client. Null when the client got another answer (slot and endpoint
    /// released); otherwise the caller owns the route's slot, the endpoint's count and the upstream connection.
    /// </summary>
    private async Task<Upgraded?> HandshakeAsync(Stream client, IPAddress clientAddress, string scheme)
    {
        HeadRead request;
        using (var timeout = new CancellationTokenSource(HeadTimeout(), time))
        {
            try
            {
                request = await HeadRead.ReadAsync(client, request: true, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                await Http1Responses.WriteErrorAsync(client, 408, "the request head did not arrive in time", null);
                return null;
            }
        }

        if (request.Head is not { } head)
        {
            if (request.Error is { } error)
            {
                await Http1Responses.WriteErrorAsync(client, 400, $"bad request: {error}", null);
            }

            return null;
        }

        if (!RequestTarget.TryParse(head.Target, out var target) || head.Count("Host") != 1)
        {
            await Http1Responses.WriteErrorAsync(client, 400, "bad request: an origin-form target and exactly one Host header are required", null);
            return null;
        }

        if (configs.Current.Table.Match(head["Host"]!, target.DecodedPath, head.Values) is not { } route)
        {
            await Http1Responses.WriteErrorAsync(client, 404, "no route matches this request", null);
            return null;
        }

        var refusal = !IsWebSocketRequest(head) ? Refusal.NotWebSocket : WebSocketHandshake.CheckRequest(head["Sec-WebSocket-Version"], head["Sec-WebSocket-Key"] ?? "");
        string? subprotocols = null;
        refusal ??= HandshakePolicy.Admit(ref route, configs, drainer, head["Origin"], head.Values("Sec-WebSocket-Protocol"), out subprotocols);
        if (refusal is not null)
        {
            await RefuseAsync(client, route, refusal);
            return null;
        }

        Upgraded? upgraded = null;
        try
        {
            upgraded = await ConnectAsync(client, new Request(head, target, request.Extra, subprotocols, clientAddress, scheme), route);
            return upgraded;
        }
        finally
        {
            if (upgraded is null)
            {
                route.ReleaseConnection();
            }
        }
    }

    private static bool IsWebSocketRequest(HttpHead head) =>
        head.Method == "GET" && head.Version == "HTTP/1.1" && head.HasToken("Upgrade", "websocket") && head.HasToken("Connection", "upgrade");

    /// <summary>Connect retries across endpoints, under one handshake deadline.</summary>
    private async Task<Upgraded?> ConnectAsync(Stream client, Request request, RouteRuntime route)
    {
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(route.HandshakeTimeout, time);
        var retry = route.Config.Upstream.Retry;
        var delay = route.RetryInitialInterval;
        var tried = 0UL;
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = route.Selector.Select(name => request.Head.Values(name).FirstOrDefault(), tried);
            endpoint.ConnectionOpened();
            UpstreamLeg? leg = null;
            Upgraded? upgraded = null;
            try
            {
                try
                {
                    leg = await UpstreamDialer.OpenAsync(route, endpoint, request.Head, request.Target, request.Subprotocols, request.ClientAddress, request.Scheme, deadline.Token);
                }
                catch (UpstreamDialer.ConnectException e)
                {
                    endpoint.Failed(time.GetTimestamp(), e.Message);
                    Log.ConnectFailed(logger, route.Key, endpoint.Config.Url, attempt, retry.Attempts, e.Message);
                    if (attempt >= retry.Attempts)
                    {
                        await RefuseAsync(client, route, Refusal.Unreachable(e.Message));
                        return null;
                    }

                    tried |= 1UL << endpoint.Index;
                    await Task.Delay(delay, time, deadline.Token);
                    delay = TimeSpan.FromTicks((long)Math.Min(delay.Ticks * retry.Growth, route.HandshakeTimeout.Ticks));
                    continue;
                }

                upgraded = await AnswerAsync(client, request, route, endpoint, leg, started);
                return upgraded;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                endpoint.Failed(time.GetTimestamp(), $"no handshake answer within {route.Config.Timeouts.Handshake}");
                await RefuseAsync(client, route, Refusal.HandshakeTimeout(route));
                return null;
            }
            catch (InvalidDataException e)
            {
                endpoint.Failed(time.GetTimestamp(), $"invalid handshake answer: {e.Message}");
                await RefuseAsync(client, route, new(502, $"the upstream's handshake answer is not valid: {e.Message}", "upstream_invalid"));
                return null;
            }
            finally
            {
                if (upgraded is null)
                {
                    endpoint.ConnectionClosed();
                    if (leg is not null)
                    {
                        await leg.Stream.DisposeAsync();
                    }
                }
            }
        }
    }

    /// <summary>Relays the upstream's answer: its own status as it was, or its 101 once checked.</summary>
    private async Task<Upgraded?> AnswerAsync(Stream client, Request request, RouteRuntime route, UpstreamEndpoint endpoint, UpstreamLeg leg, long started)
    {
        if (leg.Answer.Status != 101)
        {
            route.Metrics.HandshakeFailed("upstream_status", upstream: true);
            if (leg.Answer.Status >= 500)
            {
                // A refusal of the client's own (401, 403, 404) says nothing of the endpoint's health; a 5xx does.
                endpoint.Failed(time.GetTimestamp(), $"answered the handshake with {leg.Answer.Status}");
            }

            await client.WriteAsync(Http1Responses.Relayed(leg.Answer));
            await client.WriteAsync(leg.Extra);
            if (leg.Answer["Content-Length"] is { } length && long.TryParse(length, out var total) && total > leg.Extra.Length)
            {
                using var bounded = new CancellationTokenSource(route.HandshakeTimeout, time);
                await CopyAsync(leg.Stream, client, total - leg.Extra.Length, bounded.Token);
            }

            return null;
        }

        if (WebSocketHandshake.CheckAnswer(leg.Answer, request.Head, request.Subprotocols, extensionsOffered: route.Messages is null) is { } wrong)
        {
            throw new InvalidDataException(wrong);
        }

        await client.WriteAsync(Http1Responses.Relayed(leg.Answer));
        var upgradedAt = time.GetTimestamp();
        route.Metrics.Upgraded(time.GetElapsedTime(started, upgradedAt));
        var failover = route.Messages?.Failover is null ? null
            : new UpstreamFailover(configs, route, request, endpoint, leg.Answer["Sec-WebSocket-Protocol"]?.Trim(), time, logger);
        return new Upgraded(route, endpoint, leg.Stream, request.Early, leg.Extra, WebSocketHandshake.Deflates(leg.Answer), upgradedAt, failover);
    }

    /// <summary>The route's tunnel for an upgraded connection, listed with the route (drains and reloads find it there).</summary>
    private WebSocketTunnel Track(Upgraded upgraded)
    {
        var route = upgraded.Route;
        var tunnel = new WebSocketTunnel(route.TunnelOptions, route.ToUpstream, route.ToClient, time) { PerMessageDeflate = upgraded.Deflate };
        route.Tunnels.TryAdd(tunnel, upgraded.Endpoint.Config.Url);
        if (upgraded.Failover is { } failover)
        {
            failover.Tunnel = tunnel;
        }

        return tunnel;
    }

    /// <summary>The stream the tunnel relays to: the upstream's own, or on routes that read messages the stage in front of it (which takes the upstream's early bytes).</summary>
    private Stream Upstream(Upgraded upgraded, WebSocketTunnel tunnel)
    {
        if (upgraded.Route.Messages is not { } messages)
        {
            return upgraded.Upstream;
        }

        Func<CancellationToken, Task<UpstreamConnection>>? reconnect = upgraded.Failover is { } failover ? failover.ConnectAsync : null;
        return new MessageStage(tunnel, messages, upgraded.Upstream, upgraded.FromUpstream, reconnect, upgraded.Route.Metrics, time);
    }

    private void Untrack(WebSocketTunnel tunnel, RouteRuntime route)
    {
        route.Tunnels.TryRemove(tunnel, out _);
        // A reload may have handed the connection to the route's successor.
        configs.Current.Routes.GetValueOrDefault(route.Key)?.Tunnels.TryRemove(tunnel, out _);
    }

    private static async Task CopyAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 16 * 1024)];
        while (count > 0)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            count -= read;
        }
    }

    private Task RefuseAsync(Stream client, RouteRuntime route, Refusal refusal)
    {
        refusal.Record(logger, route);
        return Http1Responses.WriteErrorAsync(client, refusal.Status, refusal.Error, route.Key);
    }

    /// <summary>A client's handshake, parsed and admitted.</summary>
    /// <param name="Early">Bytes the client sent after its head, before the 101.</param>
    internal sealed record Request(HttpHead Head, RequestTarget Target, byte[] Early, string? Subprotocols, IPAddress ClientAddress, string Scheme);

    /// <summary>What an upgraded connection keeps for its life.</summary>
    /// <param name="Failover">On routes that reconnect: the connection's failovers (and its endpoint since).</param>
    private sealed record Upgraded(RouteRuntime Route, UpstreamEndpoint Endpoint, Stream Upstream, byte[] FromClient, byte[] FromUpstream, bool Deflate, long UpgradedAt, UpstreamFailover? Failover)
    {
        public UpstreamEndpoint CurrentEndpoint => Failover?.Endpoint ?? Endpoint;
    }
}
