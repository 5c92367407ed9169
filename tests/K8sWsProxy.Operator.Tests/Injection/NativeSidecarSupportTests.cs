using K8sWsProxy.Operator.Injection;
using K8sWsProxy.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Injection;

public sealed class NativeSidecarSupportTests
{
    [Theory]
    [InlineData("1", "28", false)]
    [InlineData("1", "29", true)]
    [InlineData("1", "32+", true)]
    [InlineData("1", "", false)]
    [InlineData("2", "0", true)]
    public void Native_sidecars_from_Kubernetes_1_29(string major, string minor, bool native) =>
        Assert.Equal(native, NativeSidecarSupport.Supports(major, minor));

    [Fact]
    public async Task An_API_server_that_cannot_be_asked_gets_classic_sidecars_and_a_configured_mode_asks_nothing()
    {
        using var unreachable = new Kubernetes(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{Ports.Free()}" });

        Assert.False(await NativeSidecarSupport.ResolveAsync(null, unreachable, NullLogger.Instance, CancellationToken.None));
        Assert.True(await NativeSidecarSupport.ResolveAsync(true, unreachable, NullLogger.Instance, CancellationToken.None));
    }
}
