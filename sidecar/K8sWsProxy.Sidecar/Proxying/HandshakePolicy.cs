using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Runtime;
using WebSocketOptions = K8sWsProxy.Contracts.Config.WebSocketOptions;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// The checks a WebSocket request passes before the proxy spends an upstream connection on it, the same on every
/// listener: origin, subprotocols, shutdown, the route's connection limit.
/// </summary>
internal static class HandshakePolicy
{
    /// <summary>
    /// Admits a request to <paramref name="route"/>, taking one of its connection slots (the caller releases it), or
    /// says why not. A route retired since the lookup hands the request to its successor.
    /// </summary>
    /// <param name="subprotocols">The Sec-WebSocket-Protocol value to offer the upstream; null passes the client's on.</param>
    public static Refusal? Admit(ref RouteRuntime route, ConfigApplier configs, RouteDrainer drainer, string? origin, IEnumerable<string> requestedProtocols, out string? subprotocols)
    {
        subprotocols = null;
        var options = route.Config.WebSocket;
        if (!OriginAllowed(options, origin))
        {
            return new(403, "origin not allowed", "origin");
        }

        if (!FilterSubprotocols(options, requestedProtocols, out subprotocols))
        {
            return new(403, "none of the requested subprotocols is allowed", "subprotocol");
        }

        if (drainer.ShuttingDown)
        {
            return new(503, "proxy shutting down", "shutting_down");
        }

        if (!route.TryAcquireConnection())
        {
            return new(503, "connection limit reached", "connection_limit");
        }

        if (route.Retired && configs.Current.Routes.GetValueOrDefault(route.Key) is { } successor && successor.TryAcquireConnection())
        {
            // A document replaced the route between the lookup and now: use its successor, whose upstream client
            // is not about to be disposed.
            route.ReleaseConnection();
            route = successor;
        }

        return null;
    }

    /// <summary>
    /// Browsers always send Origin, so a request without one is not a cross-site browser request and passes;
    /// with a list configured, any other origin is refused.
    /// </summary>
    private static bool OriginAllowed(WebSocketOptions options, string? origin)
    {
        if (options.AllowedOrigins.Count == 0 || options.AllowedOrigins.Contains("*") || string.IsNullOrEmpty(origin))
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
    private static bool FilterSubprotocols(WebSocketOptions options, IEnumerable<string> requested, out string? offered)
    {
        offered = null;
        if (options.Subprotocols.Count == 0)
        {
            return true;
        }

        var tokens = requested.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (tokens.Count == 0)
        {
            return true;
        }

        var allowed = tokens.Where(t => options.Subprotocols.Contains(t, StringComparer.Ordinal)).ToList();
        if (allowed.Count == 0)
        {
            return false;
        }

        offered = string.Join(", ", allowed);
        return true;
    }
}

/// <summary>Why a handshake is answered by the proxy itself.</summary>
/// <param name="Reason">The metric label: a short, fixed word, never request data.</param>
internal sealed record Refusal(int Status, string Error, string Reason)
{
    public static Refusal NotWebSocket { get; } = new(426, "this route only accepts WebSocket requests", "not_websocket");

    public static Refusal HandshakeTimeout(RouteRuntime route) => new(504, $"upstream handshake timed out after {route.Config.Timeouts.Handshake}", "handshake_timeout");

    public static Refusal Unreachable(string reason) => new(502, $"no upstream endpoint accepted the connection: {reason}", "upstream_unreachable");

    /// <summary>Counts and logs the refusal against the route.</summary>
    public void Record(ILogger logger, RouteRuntime route)
    {
        route.Metrics.HandshakeFailed(Reason, upstream: Status is >= 502 and <= 504 && Reason is not ("shutting_down" or "connection_limit"));
        Log.HandshakeFailed(logger, route.Key, Status, Error);
    }
}
