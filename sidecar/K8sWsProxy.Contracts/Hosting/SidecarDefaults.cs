namespace K8sWsProxy.Contracts.Hosting;

/// <summary>Sidecar defaults the operator relies on too: it injects the sidecar without overriding them.</summary>
public static class SidecarDefaults
{
    /// <summary>Longest a SIGTERM waits for WebSockets to finish their close handshakes (--shutdown-timeout).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);
}
