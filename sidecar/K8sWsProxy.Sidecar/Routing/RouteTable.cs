using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Runtime;

namespace K8sWsProxy.Sidecar.Routing;

/// <summary>
/// Finds the route of a request, with the precedence YARP's router gave our routes: Exact paths before Prefix paths
/// (more path segments first) before RegularExpression paths; then routes naming exact hosts before wildcard hosts
/// (longer suffix first) before any host; then routes with more header conditions; then document order. Paths are
/// compared case-insensitively (as ASP.NET routing compares literals), regular expressions as written.
/// </summary>
internal sealed class RouteTable
{
    private readonly Entry[] _entries;

    private RouteTable(Entry[] entries) => _entries = entries;

    public static RouteTable Empty { get; } = new([]);

    public static RouteTable Build(IEnumerable<RouteRuntime> routes)
    {
        var entries = routes.Select((route, index) => new Entry(route, index)).ToList();
        entries.Sort(static (a, b) => a.CompareTo(b));
        return new RouteTable([.. entries]);
    }

    /// <param name="host">The Host header, with or without a port.</param>
    /// <param name="path">The decoded, normalised request path.</param>
    /// <param name="headers">The values a header carries (none when absent).</param>
    public RouteRuntime? Match(string host, string path, Func<string, IEnumerable<string>> headers)
    {
        var name = HostName(host);
        foreach (var entry in _entries)
        {
            if (entry.Matches(name, path, headers))
            {
                return entry.Route;
            }
        }

        return null;
    }

    /// <summary>The host without its port (IPv6 literals keep their brackets).</summary>
    internal static ReadOnlySpan<char> HostName(string host)
    {
        var span = host.AsSpan();
        var colon = span.LastIndexOf(':');
        return colon >= 0 && span.LastIndexOf(']') < colon ? span[..colon] : span;
    }

    private sealed class Entry
    {
        private readonly int _index;
        private readonly string _prefix;
        private readonly string _exact;
        private readonly int _pathRank;
        private readonly int _hostRank;

        public Entry(RouteRuntime route, int index)
        {
            Route = route;
            _index = index;
            var match = route.Config.Match;
            _prefix = match.Path.TrimEnd('/');
            _exact = match.Path.Length > 1 ? _prefix : match.Path;
            _pathRank = match.PathType switch
            {
                PathType.Exact => 0,
                PathType.Prefix => 1_000 - _prefix.Count(c => c == '/'),
                _ => 2_000,
            };
            // An exact host outranks any wildcard; among wildcards the longer suffix is more specific.
            _hostRank = match.Hosts.Count == 0 ? int.MaxValue
                : match.Hosts.Min(h => h.StartsWith("*.", StringComparison.Ordinal) ? 1_000 - h.Length : 0);
        }

        public RouteRuntime Route { get; }

        public int CompareTo(Entry other)
        {
            var byPath = _pathRank.CompareTo(other._pathRank);
            if (byPath != 0)
            {
                return byPath;
            }

            var byHost = _hostRank.CompareTo(other._hostRank);
            if (byHost != 0)
            {
                return byHost;
            }

            var byHeaders = other.Route.Config.Match.Headers.Count.CompareTo(Route.Config.Match.Headers.Count);
            return byHeaders != 0 ? byHeaders : _index.CompareTo(other._index);
        }

        public bool Matches(ReadOnlySpan<char> host, string path, Func<string, IEnumerable<string>> headers)
        {
            var match = Route.Config.Match;
            return PathMatches(match.PathType, path) && HostMatches(match.Hosts, host) && HeadersMatch(match.Headers, headers);
        }

        private bool PathMatches(PathType type, string path)
        {
            switch (type)
            {
                case PathType.Exact:
                    // A trailing slash does not make another path, as in ASP.NET routing.
                    var trimmed = path.Length > 1 && path.EndsWith('/') ? path.AsSpan(0, path.Length - 1) : path;
                    return trimmed.Equals(_exact, StringComparison.OrdinalIgnoreCase);
                case PathType.Prefix:
                    // Element-wise: /ws matches /ws and /ws/a, not /wsx.
                    return path.StartsWith(_prefix, StringComparison.OrdinalIgnoreCase)
                        && (path.Length == _prefix.Length || path[_prefix.Length] == '/');
                default:
                    try
                    {
                        return Route.PathRegex!.IsMatch(path);
                    }
                    catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
                    {
                        return false;
                    }
            }
        }

        private static bool HostMatches(IReadOnlyList<string> hosts, ReadOnlySpan<char> host)
        {
            if (hosts.Count == 0)
            {
                return true;
            }

            foreach (var candidate in hosts)
            {
                if (candidate.StartsWith("*.", StringComparison.Ordinal)
                    ? host.Length > candidate.Length - 1 && host.EndsWith(candidate.AsSpan(1), StringComparison.OrdinalIgnoreCase)
                    : host.Equals(candidate, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HeadersMatch(IReadOnlyList<HeaderMatch> conditions, Func<string, IEnumerable<string>> headers)
        {
            foreach (var condition in conditions)
            {
                if (!headers(condition.Name).Any(v => string.Equals(v.Trim(), condition.Value, StringComparison.OrdinalIgnoreCase)))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
