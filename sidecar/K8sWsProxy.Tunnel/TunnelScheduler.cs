using System.Collections.Concurrent;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// One timer for every tunnel of the process: each tick calls <see cref="WebSocketTunnel.Tick"/> on all
/// registered tunnels, so idle connections do not cost a timer each. Tunnels leave when they complete.
/// </summary>
public sealed class TunnelScheduler : IAsyncDisposable
{
    private readonly ConcurrentDictionary<WebSocketTunnel, byte> _tunnels = new();
    private readonly ITimer _timer;
    private int _ticking;

    public TunnelScheduler(TimeProvider time, TimeSpan resolution)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _timer = time.CreateTimer(static state => ((TunnelScheduler)state!).TickAll(), this, resolution, resolution);
    }

    public IDisposable Register(WebSocketTunnel tunnel)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        var registration = new Registration(_tunnels, tunnel);
        _tunnels.TryAdd(tunnel, 0);
        tunnel.Completion.ContinueWith(static (_, state) => ((Registration)state!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return registration;
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        _tunnels.Clear();
    }

    private void TickAll()
    {
        // A slow tick is not overlapped by the next one.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var entry in _tunnels)
            {
                entry.Key.Tick();
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private sealed class Registration(ConcurrentDictionary<WebSocketTunnel, byte> tunnels, WebSocketTunnel tunnel) : IDisposable
    {
        public void Dispose() => tunnels.TryRemove(tunnel, out _);
    }
}
