namespace K8sWsProxy.Contracts.Hosting;

/// <summary>Sidecar defaults the operator relies on too: it injects the sidecar without overriding them.</summary>
public static class SidecarDefaults
{
    /// <summary>Longest a SIGTERM waits for WebSockets to finish their close handshakes (--shutdown-timeout).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where the projected service-account token is read (--token-file); the webhook mounts it there.</summary>
    public const string TokenFile = "/var/run/secrets/k8s-ws-proxy/token";
}
