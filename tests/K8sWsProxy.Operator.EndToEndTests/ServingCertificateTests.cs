using System.Net.Security;
using System.Net.Sockets;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>The operator's serving certificate follows its files, as cert-manager or a Secret volume rotate them.</summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class ServingCertificateTests(ProxyCluster cluster) : ClusterTest(cluster)
{
    [Fact]
    public async Task Rotated_files_are_served_to_new_handshakes_and_a_half_written_pair_is_refused_with_a_warning()
    {
        var replica = Cluster.Operators[0];
        var before = await ServedThumbprintAsync(replica.Port);
        var rotated = Cluster.Authority.Issue("k8s-ws-proxy-operator-rotated", "localhost", ProxyCluster.OperatorHost);

        // The new certificate beside the old key, as in the moment between the two writes of a rotation.
        await File.WriteAllTextAsync(replica.CertFile, rotated.CertificatePem);
        await Poll.UntilAsync(async () =>
        {
            await ServedThumbprintAsync(replica.Port);
            return replica.AllOutput.Contains("Serving certificate files changed but do not load", StringComparison.Ordinal);
        }, "the operator to refuse the mismatched pair", TimeSpan.FromSeconds(15));
        Assert.Equal(before, await ServedThumbprintAsync(replica.Port));

        await File.WriteAllTextAsync(replica.KeyFile, rotated.KeyPem);
        await Poll.UntilAsync(async () => await ServedThumbprintAsync(replica.Port) == rotated.Certificate.Thumbprint,
            "the rotated certificate on new handshakes", TimeSpan.FromSeconds(15));
        await Poll.UntilAsync(() => replica.AllOutput.Contains("Serving certificate reloaded: CN=k8s-ws-proxy-operator-rotated", StringComparison.Ordinal),
            "the reload to be logged", TimeSpan.FromSeconds(5));

        // The sidecars' channels lived through it: a route still reaches all three.
        await Cluster.ApplyAsync(Cluster.ExampleRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
    }

    private static async Task<string> ServedThumbprintAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        string? served = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            served = certificate?.GetCertHashString();
            return true;
        });
        await tls.AuthenticateAsClientAsync("localhost");
        return served!;
    }
}
