using System.Numerics;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;
using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// The sidecar's side of one connection's failovers: each attempt picks an endpoint of the route (those that failed
/// in this failover last, none that the current document removed), opens it with the client's own handshake, and
/// accepts it only with the subprotocol the client already has. The connection's endpoint count and its listing for
/// drains move with it.
/// </summary>
internal sealed class UpstreamFailover(ConfigApplier configs, RouteRuntime route, Http1Proxy.Request request, UpstreamEndpoint endpoint, string? protocol, TimeProvider time, ILogger logger)
{
    private ulong _tried;

    /// <summary>The endpoint the connection is on now.</summary>
    public UpstreamEndpoint Endpoint { get; private set; } = endpoint;

    public WebSocketTunnel? Tunnel { get; set; }

    /// <summary>One attempt; throws when it fails (logged here).</summary>
    public async Task<UpstreamConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var next = Pick();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(route.HandshakeTimeout);
        next.ConnectionOpened();
        UpstreamLeg? leg = null;
        try
        {
            leg = await UpstreamDialer.OpenAsync(route, next, request.Head, request.Target, request.Subprotocols, request.ClientAddress, request.Scheme, deadline.Token);
            var wrong = leg.Answer.Status != 101 ? $"answered the handshake with {leg.Answer.Status}"
                : WebSocketHandshake.CheckAnswer(leg.Answer, request.Head, request.Subprotocols, extensionsOffered: false)
                ?? (leg.Answer["Sec-WebSocket-Protocol"]?.Trim() != protocol ? "answered with another subprotocol than the client has" : null);
            if (wrong is not null)
            {
                throw new UpstreamDialer.ConnectException(wrong);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            next.ConnectionClosed();
            if (leg is not null)
            {
                await leg.Stream.DisposeAsync();
            }

            var reason = e is OperationCanceledException ? $"no handshake answer within {route.Config.Timeouts.Handshake}" : e.Message;
            next.Failed(time.GetTimestamp(), reason);
            _tried |= 1UL << next.Index;
            Log.ReconnectFailed(logger, route.Key, next.Config.Url, reason);
            throw;
        }

        var previous = Endpoint;
        previous.ConnectionClosed();
        Endpoint = next;
        _tried = 0;
        Relist(next.Config.Url);
        Log.FailedOver(logger, route.Key, previous.Config.Url, next.Config.Url);
        return new UpstreamConnection(leg.Stream, leg.Extra);
    }

    /// <summary>The lost endpoint and those that failed since are tried last; endpoints the current document dropped never.</summary>
    private UpstreamEndpoint Pick()
    {
        if (_tried == 0)
        {
            _tried = 1UL << Endpoint.Index;
        }

        var live = configs.Current.Routes.GetValueOrDefault(route.Key);
        var removed = 0UL;
        foreach (var e in route.Endpoints)
        {
            if (live is null || !live.Endpoints.Any(l => l.Config.Url == e.Config.Url))
            {
                removed |= 1UL << e.Index;
            }
        }

        var count = route.Endpoints.Count;
        if (BitOperations.PopCount(removed) >= count)
        {
            throw new UpstreamDialer.ConnectException("the route no longer has any of its endpoints");
        }

        if (BitOperations.PopCount(_tried | removed) >= count)
        {
            _tried = 0; // every endpoint left failed once: start over with all of them
        }

        return route.Selector.Select(name => request.Head.Values(name).FirstOrDefault(), _tried | removed);
    }

    /// <summary>Drains find the connection under its new endpoint, in whichever route holds it now.</summary>
    private void Relist(string url)
    {
        if (Tunnel is not { } tunnel)
        {
            return;
        }

        foreach (var holder in new[] { route, configs.Current.Routes.GetValueOrDefault(route.Key) })
        {
            if (holder is not null && holder.Tunnels.ContainsKey(tunnel))
            {
                holder.Tunnels[tunnel] = url;
            }
        }
    }
}
