using K8sWsProxy.Sidecar.Http1;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;
using Yarp.ReverseProxy.Forwarder;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// The upstream request of the HTTP/2 path: YARP's default copy of the client's headers, then the same changes our
/// HTTP/1.1 path makes (<see cref="UpstreamRequest"/>): X-Forwarded-*, the route's header set/remove, the filtered
/// subprotocol list; the upstream URL with the endpoint's path in place of the matched prefix; the tunnel for the handler.
/// </summary>
internal sealed class UpstreamRequestTransformer(RouteRuntime route, UpstreamEndpoint endpoint, WebSocketTunnel? tunnel, string? subprotocols)
    : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await Default.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(
            destinationPrefix, new PathString(UpstreamPath.For(route.Config.Match, PathString.FromUriComponent(endpoint.HttpUrl).Value ?? "", httpContext.Request.Path.Value ?? "/")), httpContext.Request.QueryString);
        foreach (var name in proxyRequest.Headers.Select(h => h.Key).Where(n => UpstreamRequest.Replaced(route, n, subprotocols)).ToList())
        {
            proxyRequest.Headers.Remove(name);
        }

        var client = httpContext.Request.Headers;
        var address = httpContext.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
        foreach (var (name, value) in UpstreamRequest.Added(name => name == "Host" ? httpContext.Request.Host.Value : Joined(client[name]), route, subprotocols, address, httpContext.Request.Scheme))
        {
            proxyRequest.Headers.TryAddWithoutValidation(name, value);
        }

        if (tunnel is not null)
        {
            proxyRequest.Options.Set(TunnelHandler.TunnelKey, tunnel);
            if (route.RulesOnly is not null)
            {
                proxyRequest.Options.Set(TunnelHandler.RouteKey, route);
            }
        }
    }

    private static string? Joined(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 0 ? null : string.Join(", ", values.OfType<string>());
}
