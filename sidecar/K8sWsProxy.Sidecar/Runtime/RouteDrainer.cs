using System.Collections.Concurrent;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>
/// Ends the connections a new document no longer serves. A retired route's connection survives when the route
/// still exists with the same match and the connection's endpoint is still one of its endpoints; every other
/// connection gets the route's drain timeout to finish on its own, then a 1001 close. The retired route's upstream
/// client goes once all its connections are gone. On shutdown every connection gets the 1001 at once.
/// </summary>
internal sealed class RouteDrainer(SidecarMetrics metrics, ILogger<RouteDrainer> logger, TimeProvider time)
{
    private readonly ConcurrentDictionary<RouteRuntime, byte> _retired = new();

    /// <summary>Set once shutdown began: new WebSockets are refused from then on.</summary>
    public bool ShuttingDown { get; private set; }

    /// <param name="successor">The route of the same name in the new document, if any.</param>
    public void Retire(RouteRuntime route, RouteRuntime? successor)
    {
        _retired.TryAdd(route, 0);
        route.Retire();
        _ = DrainAsync(route, successor);
    }

    private async Task DrainAsync(RouteRuntime route, RouteRuntime? successor)
    {
        try
        {
            var doomed = new List<WebSocketTunnel>();
            // Decided once per change, not per connection: a route holding thousands of connections is retired
            // on every change of its spec.
            var survivingEndpoints = SurvivingEndpoints(route, successor);
            foreach (var (tunnel, endpointUrl) in route.Tunnels)
            {
                if (!survivingEndpoints.Contains(endpointUrl))
                {
                    doomed.Add(tunnel);
                    continue;
                }

                // The successor owns it from now on, so its own retirement (or shutdown) finds it.
                successor!.Tunnels.TryAdd(tunnel, endpointUrl);
                if (tunnel.Completion.IsCompleted)
                {
                    successor.Tunnels.TryRemove(tunnel, out _);
                }
            }

            if (doomed.Count > 0)
            {
                if (route.DrainTimeout > TimeSpan.Zero)
                {
                    await Task.WhenAny(Task.WhenAll(doomed.Select(t => t.Completion)), Task.Delay(route.DrainTimeout, time));
                }

                var open = doomed.Where(t => !t.Completion.IsCompleted).ToArray();
                Log.DrainingRoute(logger, route.Key, open.Length);
                await Task.WhenAll(open.Select(t => t.CloseAsync(1001, "route changed or removed")));
            }

            // Surviving tunnels and handshakes that began just before the swap still use this route's client.
            await route.WhenNoConnections();
        }
        finally
        {
            _retired.TryRemove(route, out _);
            route.Dispose();
            if (successor is null)
            {
                metrics.RouteGone(route.Key);
            }
        }
    }

    /// <summary>The endpoints whose connections the successor takes over: all of its own when it matches the same requests, none otherwise.</summary>
    private static HashSet<string> SurvivingEndpoints(RouteRuntime route, RouteRuntime? successor) =>
        successor is not null
        && System.Text.Json.JsonSerializer.Serialize(route.Config.Match, Contracts.Config.ConfigJson.Match) == System.Text.Json.JsonSerializer.Serialize(successor.Config.Match, Contracts.Config.ConfigJson.Match)
            ? successor.Endpoints.Select(e => e.Config.Url).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>Shutdown: 1001 to every client and upstream now, then wait for the close handshakes up to <paramref name="timeout"/>.</summary>
    public async Task CloseAllAsync(IEnumerable<RouteRuntime> routes, TimeSpan timeout)
    {
        ShuttingDown = true;
        var open = routes.Concat(_retired.Keys).SelectMany(r => r.Tunnels.Keys).ToArray();
        Log.ShuttingDown(logger, open.Length);
        var closing = Task.WhenAll(open.Select(t => t.CloseAsync(1001, "proxy shutting down")));
        await Task.WhenAny(closing, Task.Delay(timeout, time));
        foreach (var tunnel in open)
        {
            tunnel.Abort();
        }
    }
}
