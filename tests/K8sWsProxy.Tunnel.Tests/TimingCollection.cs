namespace K8sWsProxy.Tunnel.Tests;

/// <summary>Tests that assert on elapsed time run alone, after the parallel ones, so a busy 2-core machine does not skew them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
