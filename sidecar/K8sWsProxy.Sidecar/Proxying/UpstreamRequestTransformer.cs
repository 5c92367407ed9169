using K8sWsProxy.Contracts.Config;
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
            destinationPrefix, UpstreamPath(route.Config.Match, PathString.FromUriComponent(endpoint.HttpUrl).Value ?? "", httpContext.Request.Path), httpContext.Request.QueryString);
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

    /// <summary>
    /// An endpoint URL without a path leaves the request path alone. With a path, that path replaces what the
    /// route matched: the prefix for Prefix routes (/ws/a on prefix /ws to /socket gives /socket/a), the whole
    /// path for Exact and RegularExpression routes.
    /// </summary>
    internal static PathString UpstreamPath(RouteMatch match, string endpointPath, PathString requestPath)
    {
        if (endpointPath is "" or "/")
        {
            return requestPath;
        }

        if (match.PathType != PathType.Prefix)
        {
            return new PathString(endpointPath);
        }

        var prefix = match.Path.TrimEnd('/');
        var rest = requestPath.Value is { } path && path.Length >= prefix.Length ? path[prefix.Length..] : "";
        return new PathString(endpointPath.TrimEnd('/') + rest);
    }
}
