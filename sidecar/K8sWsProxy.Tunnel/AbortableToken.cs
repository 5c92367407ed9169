namespace K8sWsProxy.Tunnel;

/// <summary>
/// Links a caller's cancellation token with the tunnel's abort token. The link is reused while the caller keeps
/// passing the same token (YARP's copy loops do), so the hot path does not allocate one per call.
/// Used by one copy loop at a time.
/// </summary>
internal sealed class AbortableToken(CancellationToken abort) : IDisposable
{
    private CancellationToken _caller;
    private CancellationTokenSource? _linked;

    public CancellationToken For(CancellationToken caller)
    {
        if (!caller.CanBeCanceled)
        {
            return abort;
        }

        if (_linked is null || caller != _caller)
        {
            _linked?.Dispose();
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, abort);
            _caller = caller;
        }

        return _linked.Token;
    }

    public void Dispose() => _linked?.Dispose();
}
