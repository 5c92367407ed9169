using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// The route's YARP transforms (X-Forwarded-*, header set/remove) plus what is ours: the upstream URL with the
/// endpoint's path in place of the matched prefix, the filtered subprotocol list, and the tunnel for the handler.
/// </summary>
internal sealed class UpstreamRequestTransformer(HttpTransformer routeTransforms, RouteRuntime route, UpstreamEndpoint endpoint, WebSocketTunnel? tunnel, string? subprotocols)
    : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await routeTransforms.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(
            destinationPrefix, new PathString(UpstreamPath.For(route.Config.Match, PathString.FromUriComponent(endpoint.HttpUrl).Value ?? "", httpContext.Request.Path.Value ?? "/")), httpContext.Request.QueryString);
        if (subprotocols is not null)
        {
            proxyRequest.Headers.Remove(HeaderNames.SecWebSocketProtocol);
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.SecWebSocketProtocol, subprotocols);
        }

        if (tunnel is not null)
        {
            proxyRequest.Options.Set(TunnelHandler.TunnelKey, tunnel);
        }
    }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken) =>
        routeTransforms.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
        routeTransforms.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
}
