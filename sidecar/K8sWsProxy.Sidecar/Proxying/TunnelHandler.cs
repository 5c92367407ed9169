using System.Net;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;
using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// Sits under the upstream client: when the upstream accepts the WebSocket (101 to an HTTP/1.1 upgrade, 2xx to an
/// HTTP/2 extended CONNECT), the response content (the upstream's side of the WebSocket, a duplex stream in both
/// cases) is handed to the forwarder through the request's tunnel, so both directions are tracked.
/// </summary>
internal sealed class TunnelHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static readonly HttpRequestOptionsKey<WebSocketTunnel> TunnelKey = new("wsproxy.tunnel");

    /// <summary>Set for routes with message rules: their stage goes between the tunnel and the upstream.</summary>
    public static readonly HttpRequestOptionsKey<RouteRuntime> RouteKey = new("wsproxy.route");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var accepted = response.StatusCode == HttpStatusCode.SwitchingProtocols
            || (request.Headers.Protocol == "websocket" && response.IsSuccessStatusCode);
        if (accepted && request.Options.TryGetValue(TunnelKey, out var tunnel))
        {
            tunnel.PerMessageDeflate = response.Headers.TryGetValues("Sec-WebSocket-Extensions", out var extensions)
                && extensions.Any(e => e.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase));
            response.Content = new UpstreamStreamContent(response.Content, tunnel, request.Options.TryGetValue(RouteKey, out var route) ? route : null);
        }

        return response;
    }

    private sealed class UpstreamStreamContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly WebSocketTunnel _tunnel;
        private readonly RouteRuntime? _route;

        public UpstreamStreamContent(HttpContent inner, WebSocketTunnel tunnel, RouteRuntime? route)
        {
            _inner = inner;
            _tunnel = tunnel;
            _route = route;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() => Wrap(await _inner.ReadAsStreamAsync());

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            Wrap(await _inner.ReadAsStreamAsync(cancellationToken));

        private Stream Wrap(Stream upstream) => _tunnel.WrapUpstream(
            _route is null ? upstream : new MessageStage(_tunnel, _route.RulesOnly!, upstream, default, reconnect: null, _route.Metrics, TimeProvider.System));

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
