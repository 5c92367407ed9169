using System.Text.RegularExpressions;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>The sidecar's side of the channel when there is no operator to talk to.</summary>
[Collection(ProxyClusterCollection.Name)]
public sealed partial class SidecarChannelTests(ProxyCluster cluster)
{
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
