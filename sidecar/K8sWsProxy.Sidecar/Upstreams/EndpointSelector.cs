using System.IO.Hashing;
using System.Text;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Upstreams;

/// <summary>
/// Picks the endpoint for a new connection: by session affinity when the request carries the key (weighted
/// rendezvous hashing, so a key keeps its endpoint while the endpoint exists), else by the route's load-balancing
/// policy, all weighted. Endpoints already tried for this request are skipped while others remain.
/// </summary>
internal sealed class EndpointSelector(IReadOnlyList<UpstreamEndpoint> endpoints, LoadBalancing policy, SessionAffinityConfig? affinity)
{
    private readonly long[] _currentWeights = new long[endpoints.Count];
    private readonly Lock _roundRobinLock = new();

    public IReadOnlyList<UpstreamEndpoint> Endpoints => endpoints;

    /// <param name="header">The request's value of a header (comma-joined when repeated), or null.</param>
    /// <param name="tried">Bit i set: endpoint i already failed for this request.</param>
    public UpstreamEndpoint Select(Func<string, string?> header, ulong tried)
    {
        if (AffinityKey(header) is { } key)
        {
            return ByHash(key, tried);
        }

        return policy switch
        {
            LoadBalancing.LeastConnections => LeastConnections(tried),
            LoadBalancing.Random => RandomWeighted(tried),
            LoadBalancing.PowerOfTwoChoices => PowerOfTwo(tried),
            _ => SmoothRoundRobin(tried),
        };
    }

    private string? AffinityKey(Func<string, string?> header)
    {
        if (affinity is null)
        {
            return null;
        }

        var value = affinity.Header is { } name ? header(name) : Cookie(header("Cookie"), affinity.Cookie!);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>A cookie's value from a Cookie header (RFC 6265 "a=1; b=2").</summary>
    private static string? Cookie(string? cookies, string name)
    {
        foreach (var pair in (cookies ?? "").Split(';', StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0 && pair.AsSpan(0, equals).Trim().SequenceEqual(name))
            {
                return pair[(equals + 1)..].Trim().Trim('"');
            }
        }

        return null;
    }

    private static bool Skipped(ulong tried, int i, int count) => (tried & (1UL << i)) != 0 && BitCount(tried) < count;

    private static int BitCount(ulong value) => System.Numerics.BitOperations.PopCount(value);

    /// <summary>Weighted rendezvous hashing: the highest -weight/ln(h) wins; only the departed endpoint's keys move.</summary>
    private UpstreamEndpoint ByHash(string key, ulong tried)
    {
        UpstreamEndpoint? best = null;
        var bestScore = double.NegativeInfinity;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (Skipped(tried, i, endpoints.Count))
            {
                continue;
            }

            var hash = new XxHash64(i * unchecked((long)0x9E3779B97F4A7C15UL));
            hash.Append(keyBytes);
            hash.Append(Encoding.UTF8.GetBytes(endpoints[i].Config.Url));
            var unit = (hash.GetCurrentHashAsUInt64() >> 11) * (1.0 / (1UL << 53));
            var score = -endpoints[i].Weight / Math.Log(Math.Max(unit, double.Epsilon));
            if (score > bestScore)
            {
                bestScore = score;
                best = endpoints[i];
            }
        }

        return best ?? endpoints[0];
    }

    /// <summary>nginx's smooth weighted round robin: weights 5,1,1 give a,a,b,a,c,a,a rather than a burst of five.</summary>
    private UpstreamEndpoint SmoothRoundRobin(ulong tried)
    {
        lock (_roundRobinLock)
        {
            var best = -1;
            var total = 0L;
            for (var i = 0; i < endpoints.Count; i++)
            {
                if (Skipped(tried, i, endpoints.Count))
                {
                    continue;
                }

                _currentWeights[i] += endpoints[i].Weight;
                total += endpoints[i].Weight;
                if (best < 0 || _currentWeights[i] > _currentWeights[best])
                {
                    best = i;
                }
            }

            _currentWeights[best] -= total;
            return endpoints[best];
        }
    }

    private UpstreamEndpoint LeastConnections(ulong tried)
    {
        UpstreamEndpoint? best = null;
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!Skipped(tried, i, endpoints.Count) && (best is null || Load(endpoints[i]) < Load(best)))
            {
                best = endpoints[i];
            }
        }

        return best!;
    }

    private UpstreamEndpoint RandomWeighted(ulong tried)
    {
        var total = 0;
        for (var i = 0; i < endpoints.Count; i++)
        {
            total += Skipped(tried, i, endpoints.Count) ? 0 : endpoints[i].Weight;
        }

        var pick = System.Random.Shared.Next(total);
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (Skipped(tried, i, endpoints.Count))
            {
                continue;
            }

            pick -= endpoints[i].Weight;
            if (pick < 0)
            {
                return endpoints[i];
            }
        }

        return endpoints[^1];
    }

    /// <summary>Two weighted random picks, the less loaded wins: near least-connections without scanning every endpoint.</summary>
    private UpstreamEndpoint PowerOfTwo(ulong tried)
    {
        var a = RandomWeighted(tried);
        var b = RandomWeighted(tried);
        return Load(a) <= Load(b) ? a : b;
    }

    /// <summary>Connections per unit of weight.</summary>
    private static double Load(UpstreamEndpoint endpoint) => (double)endpoint.ActiveConnections / endpoint.Weight;
}
