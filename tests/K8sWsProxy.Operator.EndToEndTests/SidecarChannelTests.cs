using System.Text.RegularExpressions;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>The sidecar's side of the channel when there is no operator to talk to.</summary>
[Collection(ProxyClusterCollection.Name)]
public sealed partial class SidecarChannelTests(ProxyCluster cluster)
{
    [Fact]
    public async Task A_rotated_operator_CA_is_trusted_on_the_next_dial_without_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("sidecar-ca-").FullName;
        var caFile = Path.Combine(directory, "ca.crt");
        await File.WriteAllTextAsync(caFile, new TestCertificates("not-the-operators-ca").CaPem);
        using var sidecar = new SidecarUnderTest("ca-rotation", IPAddress.Parse("127.0.0.12"), cluster.Sidecars[0].TokenFile, Path.Combine(directory, "state"), () => cluster.ChannelUrl, caFile);
        try
        {
            sidecar.Start();
            await sidecar.Process!.WaitReadyAsync();
            await Poll.UntilAsync(() => Delays(sidecar.Process.Output).Count >= 2, "the operator's certificate refused twice", TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await sidecar.ReadyAsync());

            // The CA the operator's certificate chains to, written as the kubelet updates a ConfigMap volume.
            await File.WriteAllTextAsync(caFile + ".new", await File.ReadAllTextAsync(cluster.CaFile));
            File.Move(caFile + ".new", caFile, overwrite: true);
            await Poll.UntilAsync(async () => await sidecar.ReadyAsync() == HttpStatusCode.OK, "the sidecar to get its document", TimeSpan.FromSeconds(30));
            Assert.Contains("Connected to the operator", sidecar.Process.Output, StringComparison.Ordinal);
        }
        finally
        {
            sidecar.Dispose();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Without_an_operator_or_a_saved_document_a_sidecar_is_not_ready_and_keeps_redialing_with_growing_delays()
    {
        var nowhere = new Uri($"wss://127.0.0.1:{Ports.Free(IPAddress.Loopback)}/v1/channel");
        var state = Directory.CreateTempSubdirectory("sidecar-state-").FullName;
        using var sidecar = new SidecarUnderTest("no-operator", IPAddress.Parse("127.0.0.5"), cluster.Sidecars[0].TokenFile, state, () => nowhere, cluster.CaFile);
        try
        {
            sidecar.Start();
            await sidecar.Process!.WaitReadyAsync();
            await Poll.UntilAsync(() => Delays(sidecar.Process.Output).Count >= 4, "four redials", TimeSpan.FromSeconds(20));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, await sidecar.ReadyAsync());
            var delays = Delays(sidecar.Process.Output);
            // Equal jitter: each wait is between half and all of a cap that doubles from 200 ms.
            for (var i = 0; i < delays.Count; i++)
            {
                var cap = Math.Min(200 * Math.Pow(2, i), 10_000);
                Assert.InRange(delays[i], (cap / 2) - 1, cap + 1);
            }

            Assert.False(sidecar.Process.HasExited);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static List<double> Delays(string log) =>
        [.. Redial().Matches(log).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"reconnecting in (\d+) ms")]
    private static partial Regex Redial();
}
