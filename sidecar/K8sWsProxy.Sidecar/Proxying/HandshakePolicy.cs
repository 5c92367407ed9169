using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using WebSocketOptions = K8sWsProxy.Contracts.Config.WebSocketOptions;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>The checks a WebSocket request passes before the proxy spends an upstream connection on it.</summary>
internal static class HandshakePolicy
{
    /// <summary>An HTTP/1.1 Upgrade to websocket, or an HTTP/2 extended CONNECT with :protocol websocket.</summary>
    public static bool IsWebSocketRequest(HttpContext context)
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

    /// <summary>
    /// Browsers always send Origin, so a request without one is not a cross-site browser request and passes;
    /// with a list configured, any other origin is refused.
    /// </summary>
    public static bool OriginAllowed(WebSocketOptions options, HttpContext context)
    {
        if (options.AllowedOrigins.Count == 0 || options.AllowedOrigins.Contains("*"))
        {
            return true;
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var actual))
        {
            return false;
        }

        foreach (var allowed in options.AllowedOrigins)
        {
            if (Uri.TryCreate(allowed, UriKind.Absolute, out var candidate)
                && string.Equals(candidate.Scheme, actual.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(candidate.Host, actual.Host, StringComparison.OrdinalIgnoreCase)
                && candidate.Port == actual.Port)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The subprotocols to offer the upstream: null to pass the client's header through unchanged (no allow-list,
    /// or the client asked for none), the allowed subset otherwise. False when the client asked only for refused ones.
    /// </summary>
    public static bool FilterSubprotocols(WebSocketOptions options, HttpContext context, out string? offered)
    {
        offered = null;
        var requested = context.Request.Headers[HeaderNames.SecWebSocketProtocol];
        if (options.Subprotocols.Count == 0 || StringValues.IsNullOrEmpty(requested))
        {
            return true;
        }

        var allowed = new List<string>();
        foreach (var value in requested)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (options.Subprotocols.Contains(token, StringComparer.Ordinal))
                {
                    allowed.Add(token);
                }
            }
        }

        if (allowed.Count == 0)
        {
            return false;
        }

        offered = string.Join(", ", allowed);
        return true;
    }
}
