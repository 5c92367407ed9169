using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Sidecar.Runtime;

namespace K8sWsProxy.Sidecar.Channel;

/// <summary>
/// What the sidecar's <c>health</c> message says: each route's endpoints whose last connect or handshake failure is
/// within <see cref="ChannelProtocol.HealthWindow"/>, with that failure's error.
/// </summary>
internal static class UpstreamHealth
{
    public static Dictionary<string, IReadOnlyDictionary<string, string>> Failing(ActiveConfig config, TimeProvider time)
    {
        var now = time.GetTimestamp();
        var failing = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var route in config.Routes.Values)
        {
            var endpoints = route.Endpoints
                .Where(e => e.LastFailure is { } f && time.GetElapsedTime(f.At, now) < ChannelProtocol.HealthWindow)
                .GroupBy(e => e.Config.Url, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(e => e.LastFailure!).MaxBy(f => f.At)!.Error, StringComparer.Ordinal);
            if (endpoints.Count > 0)
            {
                failing[route.Key] = endpoints;
            }
        }

        return failing;
    }

    /// <summary>Whether two reports list the same endpoints: a new wording of the same failure is not news.</summary>
    public static bool SameEndpoints(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> a, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> b) =>
        a.Count == b.Count && a.All(r => b.TryGetValue(r.Key, out var other) && r.Value.Count == other.Count && r.Value.Keys.All(other.ContainsKey));
}
