using System.Runtime.InteropServices;

namespace K8sWsProxy.Contracts.Hosting;

/// <summary>
/// SIGTERM (how Kubernetes stops a container) and SIGINT, taken from the runtime's default handling: the sidecar and
/// the operator stop their hosts themselves, in their own order, once <see cref="Requested"/> completes.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _terminate;
    private readonly PosixSignalRegistration _interrupt;

    public StopSignal()
    {
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public Task Requested => _requested.Task;

    public void Dispose()
    {
        _terminate.Dispose();
        _interrupt.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _requested.TrySetResult();
    }
}
