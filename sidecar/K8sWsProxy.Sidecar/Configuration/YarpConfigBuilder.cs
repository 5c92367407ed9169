using K8sWsProxy.Contracts.Config;
using Yarp.ReverseProxy.Configuration;
using YarpRouteConfig = Yarp.ReverseProxy.Configuration.RouteConfig;
using YarpRouteMatch = Yarp.ReverseProxy.Configuration.RouteMatch;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>Translates the document's routes into YARP routes and clusters (matching and header transforms).</summary>
internal static class YarpConfigBuilder
{
    /// <summary>Name of the catch-all route parameter; regex routes match on the whole path in <see cref="Routing.RegexPathMatcherPolicy"/>.</summary>
    private const string RestParameter = "{**wsproxy-rest}";

    public static YarpRouteConfig Route(Contracts.Config.RouteConfig route) => new()
    {
        RouteId = route.Key,
        ClusterId = route.Key,
        // Exact beats Prefix beats RegularExpression, as in the Gateway API; among prefixes routing prefers the longer.
        Order = route.Match.PathType switch
        {
            PathType.Exact => 0,
            PathType.Prefix => 1,
            _ => 2,
        },
        Match = new YarpRouteMatch
        {
            Hosts = route.Match.Hosts.Count == 0 ? null : [.. route.Match.Hosts],
            Path = PathTemplate(route.Match),
            Headers = route.Match.Headers.Count == 0
                ? null
                : [.. route.Match.Headers.Select(h => new RouteHeader { Name = h.Name, Values = [h.Value], Mode = HeaderMatchMode.ExactHeader })],
        },
        Transforms = Transforms(route.Headers),
    };

    public static ClusterConfig Cluster(Contracts.Config.RouteConfig route) => new()
    {
        ClusterId = route.Key,
        // The proxy middleware picks endpoints itself; YARP only needs the cluster to exist.
        Destinations = route.Upstream.Endpoints
            .Select((e, i) => (e, i))
            .ToDictionary(x => $"e{x.i}", x => new DestinationConfig { Address = Upstreams.UpstreamEndpoint.ToHttpUrl(x.e.Url).ToString() }),
    };

    private static string PathTemplate(Contracts.Config.RouteMatch match) => match.PathType switch
    {
        PathType.Exact => match.Path,
        PathType.Prefix => match.Path.TrimEnd('/') + "/" + RestParameter,
        _ => "/" + RestParameter,
    };

    private static List<Dictionary<string, string>> Transforms(HeadersConfig headers)
    {
        var transforms = new List<Dictionary<string, string>>
        {
            new() { ["X-Forwarded"] = "Append" },
        };
        foreach (var (name, value) in headers.Set)
        {
            transforms.Add(new() { ["RequestHeader"] = name, ["Set"] = value });
        }

        foreach (var name in headers.Remove)
        {
            transforms.Add(new() { ["RequestHeaderRemove"] = name });
        }

        return transforms;
    }
}
