using System.Collections.Concurrent;

namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>
/// Ends the connections of routes that left the active document: each retired route's tunnels get its drain
/// timeout to finish on their own, then a 1001 close; the route's upstream client goes once they are gone.
/// On shutdown every tunnel gets the 1001 at once.
/// </summary>
internal sealed class RouteDrainer(ILogger<RouteDrainer> logger, TimeProvider time)
{
    private readonly ConcurrentDictionary<RouteRuntime, byte> _retired = new();

    /// <summary>Set once shutdown began: new WebSockets are refused from then on.</summary>
    public bool ShuttingDown { get; private set; }

    public void Retire(RouteRuntime route)
    {
        _retired.TryAdd(route, 0);
        _ = DrainAsync(route);
    }

    private async Task DrainAsync(RouteRuntime route)
    {
        try
        {
            if (!route.Tunnels.IsEmpty && route.DrainTimeout > TimeSpan.Zero)
            {
                await Task.Delay(route.DrainTimeout, time);
            }

            var open = route.Tunnels.Keys.ToArray();
            if (open.Length > 0)
            {
                Log.DrainingRoute(logger, route.Key, open.Length);
                await Task.WhenAll(open.Select(t => t.CloseAsync(1001, "route changed or removed")));
            }
        }
        finally
        {
            _retired.TryRemove(route, out _);
            route.Dispose();
        }
    }

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
