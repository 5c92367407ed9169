using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Upstreams;

/// <summary>The path a handshake asks the upstream for.</summary>
internal static class UpstreamPath
{
    /// <summary>
    /// An endpoint URL without a path leaves the request path alone. With a path, that path replaces what the
    /// route matched: the prefix for Prefix routes (/ws/a on prefix /ws to /socket gives /socket/a), the whole
    /// path for Exact and RegularExpression routes.
    /// </summary>
    public static string For(RouteMatch match, string endpointPath, string requestPath)
    {
        if (endpointPath is "" or "/")
        {
            return requestPath;
        }

        if (match.PathType != PathType.Prefix)
        {
            return endpointPath;
        }

        var prefix = match.Path.TrimEnd('/');
        var rest = requestPath.Length >= prefix.Length ? requestPath[prefix.Length..] : "";
        return endpointPath.TrimEnd('/') + rest;
    }
}
