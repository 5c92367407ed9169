namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>
/// Connections accepted and not yet upgraded or answered (TLS being negotiated, a request head being read, the upstream
/// being dialled). The memory trimmer waits for them: thousands of them are a burst still going on (or an attack, such
/// as half-open connections, that ends with the head timeout), and a compacting collection while they live pauses the
/// relay for longer than it does once they are gone.
/// </summary>
internal sealed class PendingHandshakes
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts one until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        Interlocked.Increment(ref _count);
        return new Scope(this);
    }

    public readonly struct Scope(PendingHandshakes owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._count);
    }
}
