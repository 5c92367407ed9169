namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>
/// Tests that load the machine on purpose (gigabytes through stalled sockets, kill loops, a full disk) run alone:
/// beside them, other tests' timeouts would measure the load, not the sidecar.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyTests
{
    public const string Name = "heavy";
}
