using System.Collections.Concurrent;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// One timer for every tunnel of the process: each tick calls <see cref="WebSocketTunnel.Tick"/> on all
/// registered tunnels, so idle connections do not cost a timer each. Tunnels leave when they complete. The timer
/// only runs while there are tunnels: a sidecar without connections is not woken ten times a second for nothing.
/// </summary>
public sealed class TunnelScheduler : IAsyncDisposable
{
    private readonly ConcurrentDictionary<WebSocketTunnel, byte> _tunnels = new();
    private readonly ITimer _timer;
    private readonly TimeSpan _resolution;
    private readonly Lock _timerGate = new();
    private bool _timerRunning;
    private int _ticking;

    public TunnelScheduler(TimeProvider time, TimeSpan resolution)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _resolution = resolution;
        _timer = time.CreateTimer(static state => ((TunnelScheduler)state!).TickAll(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the timer is running now (for tests: it stops once the last tunnel has left).</summary>
    public bool IsTicking
    {
        get
        {
            lock (_timerGate)
            {
                return _timerRunning;
            }
        }
    }

    public IDisposable Register(WebSocketTunnel tunnel)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        var registration = new Registration(_tunnels, tunnel);
        lock (_timerGate)
        {
            _tunnels.TryAdd(tunnel, 0);
            if (!_timerRunning)
            {
                _timerRunning = _timer.Change(_resolution, _resolution);
            }
        }

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
                // An ended tunnel leaves at the next tick even if its owner has not let go of it yet (no per-tunnel
                // continuation to hold for that).
                if (entry.Key.Completion.IsCompleted)
                {
                    _tunnels.TryRemove(entry.Key, out _);
                }
                else
                {
                    entry.Key.Tick();
                }
            }

            if (_tunnels.IsEmpty)
            {
                StopWhenEmpty();
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void StopWhenEmpty()
    {
        // Checked again under the lock: a tunnel registered since is either seen here or restarts the timer itself.
        lock (_timerGate)
        {
            if (_tunnels.IsEmpty && _timerRunning)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timerRunning = false;
            }
        }
    }

    private sealed class Registration(ConcurrentDictionary<WebSocketTunnel, byte> tunnels, WebSocketTunnel tunnel) : IDisposable
    {
        public void Dispose() => tunnels.TryRemove(tunnel, out _);
    }
}
