using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Runtime;

namespace K8sWsProxy.Sidecar.Hosting;

/// <summary>
/// On SIGTERM, before the server stops: refuse new WebSockets, send 1001 to every client and upstream, and give
/// the close handshakes up to the shutdown timeout. Kestrel then finds no request left to wait for.
/// </summary>
internal sealed class ShutdownDrain(ConfigApplier configs, RouteDrainer drainer, SidecarOptions options) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) =>
        drainer.CloseAllAsync(configs.Current.Routes.Values, options.ShutdownTimeout);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
