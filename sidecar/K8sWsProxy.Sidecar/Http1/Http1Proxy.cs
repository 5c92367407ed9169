using System.Net;
using System.Net.Sockets;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// Serves one client connection of the HTTP/1.1 listener from accept to close: reads the handshake (strict and
/// bounded), routes it, checks it, opens the upstream with connect retries across endpoints under one handshake
/// deadline, relays the upstream's answer, and then owns both connections for the WebSocket's life. Refusals are
/// the same JSON errors the other listener gives; the connection closes after any answer but a 101.
/// </summary>
internal sealed class Http1Proxy(ConfigApplier configs, RouteDrainer drainer, SidecarOptions options, TunnelScheduler scheduler, TimeProvider time, ILogger<Http1Proxy> logger)
{
    /// <summary>A client gets this long to send its request head (slowloris).</summary>
    internal static readonly TimeSpan RequestHeadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A connection of the plain listener.</summary>
    public async Task ServeAsync(Socket socket)
    {
        await using var client = new NetworkStream(socket, ownsSocket: true);
        await ServeAsync(client, (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None, "http");
    }

    /// <param name="scheme">What the client spoke, for X-Forwarded-Proto: http, or https once TLS is off its bytes.</param>
    public async Task ServeAsync(Stream client, IPAddress clientAddress, string scheme)
    {
        try
        {
            await HandleAsync(client, clientAddress, scheme);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away mid-answer.
        }
    }

    private async Task HandleAsync(Stream client, IPAddress clientAddress, string scheme)
    {
        HeadRead request;
        using (var timeout = new CancellationTokenSource(RequestHeadTimeout, time))
        {
            try
            {
                request = await HeadRead.ReadAsync(client, request: true, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                await Http1Responses.WriteErrorAsync(client, 408, "the request head did not arrive in time", null, default);
                return;
            }
        }

        if (request.Head is not { } head)
        {
            if (request.Error is { } error)
            {
                await Http1Responses.WriteErrorAsync(client, 400, $"bad request: {error}", null, default);
            }

            return;
        }

        if (!RequestTarget.TryParse(head.Target, out var target) || head.Count("Host") != 1)
        {
            await Http1Responses.WriteErrorAsync(client, 400, "bad request: an origin-form target and exactly one Host header are required", null, default);
            return;
        }

        if (configs.Current.Table.Match(head["Host"]!, target.DecodedPath, head.Values) is not { } route)
        {
            await Http1Responses.WriteErrorAsync(client, 404, "no route matches this request", null, default);
            return;
        }

        var refusal = !IsWebSocketRequest(head) ? Refusal.NotWebSocket : WebSocketHandshake.CheckRequest(head["Sec-WebSocket-Version"], head["Sec-WebSocket-Key"] ?? "");
        string? subprotocols = null;
        refusal ??= HandshakePolicy.Admit(ref route, configs, drainer, head["Origin"], head.Values("Sec-WebSocket-Protocol"), out subprotocols);
        if (refusal is null)
        {
            try
            {
                await ProxyAsync(client, clientAddress, scheme, head, target, request.Extra, route, subprotocols);
            }
            finally
            {
                route.ReleaseConnection();
            }

            return;
        }

        await RefuseAsync(client, route, refusal);
    }

    private static bool IsWebSocketRequest(HttpHead head) =>
        head.Method == "GET" && head.Version == "HTTP/1.1" && head.HasToken("Upgrade", "websocket") && head.HasToken("Connection", "upgrade");

    private async Task ProxyAsync(Stream client, IPAddress clientAddress, string scheme, HttpHead head, RequestTarget target, byte[] early, RouteRuntime route, string? subprotocols)
    {
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(route.HandshakeTimeout, time);
        var retry = route.Config.Upstream.Retry;
        var delay = route.RetryInitialInterval;
        var tried = 0UL;
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = route.Selector.Select(name => head.Values(name).FirstOrDefault(), tried);
            endpoint.ConnectionOpened();
            try
            {
                UpstreamLeg leg;
                try
                {
                    leg = await UpstreamDialer.OpenAsync(route, endpoint, head, target, subprotocols, clientAddress, scheme, deadline.Token);
                }
                catch (UpstreamDialer.ConnectException e)
                {
                    Log.ConnectFailed(logger, route.Key, endpoint.Config.Url, attempt, retry.Attempts, e.Message);
                    if (attempt >= retry.Attempts)
                    {
                        await RefuseAsync(client, route, Refusal.Unreachable(e.Message));
                        return;
                    }

                    tried |= 1UL << endpoint.Index;
                    await Task.Delay(delay, time, deadline.Token);
                    delay = TimeSpan.FromTicks((long)Math.Min(delay.Ticks * retry.Growth, route.HandshakeTimeout.Ticks));
                    continue;
                }

                await using (leg.Stream)
                {
                    await RelayAsync(client, head, early, route, endpoint, subprotocols, leg, started);
                }

                return;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                await RefuseAsync(client, route, Refusal.HandshakeTimeout(route));
                return;
            }
            catch (InvalidDataException e)
            {
                await RefuseAsync(client, route, new(502, $"the upstream's handshake answer is not valid: {e.Message}", "upstream_invalid"));
                return;
            }
            finally
            {
                endpoint.ConnectionClosed();
            }
        }
    }

    private async Task RelayAsync(Stream client, HttpHead head, byte[] early, RouteRuntime route, UpstreamEndpoint endpoint, string? subprotocols, UpstreamLeg leg, long started)
    {
        if (leg.Answer.Status != 101)
        {
            // The upstream answered the handshake with a status of its own: the client gets it as it was.
            route.Metrics.HandshakeFailed("upstream_status", upstream: true);
            await client.WriteAsync(Http1Responses.Relayed(leg.Answer));
            await client.WriteAsync(leg.Extra);
            if (leg.Answer["Content-Length"] is { } length && long.TryParse(length, out var total) && total > leg.Extra.Length)
            {
                using var bounded = new CancellationTokenSource(route.HandshakeTimeout, time);
                await CopyAsync(leg.Stream, client, total - leg.Extra.Length, bounded.Token);
            }

            return;
        }

        if (WebSocketHandshake.CheckAnswer(leg.Answer, head, subprotocols) is { } wrong)
        {
            throw new InvalidDataException(wrong);
        }

        await client.WriteAsync(Http1Responses.Relayed(leg.Answer));
        var upgradedAt = time.GetTimestamp();
        route.Metrics.Upgraded(time.GetElapsedTime(started, upgradedAt));
        TunnelOutcome outcome;
        if (!options.FrameTracking)
        {
            await Relay.RunUntrackedAsync(client, leg.Stream, early, leg.Extra);
            outcome = TunnelOutcome.Untracked;
        }
        else
        {
            var tunnel = new WebSocketTunnel(route.TunnelOptions, route.ToUpstream, route.ToClient, time) { PerMessageDeflate = WebSocketHandshake.Deflates(leg.Answer) };
            route.Tunnels.TryAdd(tunnel, endpoint.Config.Url);
            try
            {
                using (scheduler.Register(tunnel))
                {
                    await Relay.RunAsync(tunnel, client, leg.Stream, early, leg.Extra);
                    outcome = await tunnel.Completion;
                }
            }
            finally
            {
                route.Tunnels.TryRemove(tunnel, out _);
                // A reload may have handed the connection to the route's successor.
                configs.Current.Routes.GetValueOrDefault(route.Key)?.Tunnels.TryRemove(tunnel, out _);
            }
        }

        route.Metrics.Ended(outcome, time.GetElapsedTime(upgradedAt));
        Log.TunnelEnded(logger, route.Key, endpoint.Config.Url, outcome.ToString());
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
        return Http1Responses.WriteErrorAsync(client, refusal.Status, refusal.Error, route.Key, default);
    }
}
