using K8sWsProxy.Sidecar.Runtime;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// Connections still in their handshake are counted (and exported), the memory trimmer waits for them (a compacting
/// collection while thousands of half-open connections lived paused the relay for 63 ms), and those opened together
/// are not all cut in the same instant.
/// </summary>
public sealed class PendingHandshakesTests
{
    [Fact]
    public async Task Half_open_connections_show_as_handshakes_in_progress_until_they_are_answered()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes: [{name: echo, match: {path: /}, upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}}]
            """);
        var halfOpen = new List<Socket>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, sidecar.Host.PlainUrl.Port);
                halfOpen.Add(socket);
            }

            // An upgraded connection is not in its handshake any more.
            using var ws = await Ws.ConnectAsync(sidecar.Ws("/"));
            await Poll.UntilAsync(async () => await PendingAsync(sidecar) == 5, "5 handshakes in progress");

            // A head that arrives ends the wait of its connection (here with a 404).
            await halfOpen[0].SendAsync("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            halfOpen[1].Dispose();
            await Poll.UntilAsync(async () => await PendingAsync(sidecar) == 3, "3 handshakes in progress");
        }
        finally
        {
            halfOpen.ForEach(s => s.Dispose());
        }

        await Poll.UntilAsync(async () => await PendingAsync(sidecar) == 0, "no handshake in progress");
    }

    [Theory]
    [InlineData(true, 8 << 20, 0, true)]
    [InlineData(true, 8 << 20, MemoryTrimmer.MaxPendingHandshakes, true)]
    [InlineData(true, 8 << 20, MemoryTrimmer.MaxPendingHandshakes + 1, false)]
    [InlineData(false, 8 << 20, 0, false)]
    [InlineData(true, (8 << 20) - 1, 0, false)]
    public void The_trimmer_waits_for_a_quiet_second_after_growth_with_the_handshakes_over(bool quiet, long grown, int pending, bool trims) =>
        Assert.Equal(trims, MemoryTrimmer.IsTime(quiet, grown, pending));

    [Fact]
    public void Head_timeouts_spread_over_a_second_so_connections_opened_together_are_not_all_cut_at_once()
    {
        var timeouts = Enumerable.Range(0, 200).Select(_ => Http1.Http1Proxy.HeadTimeout()).ToList();
        Assert.All(timeouts, t => Assert.InRange(t, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11)));
        Assert.True(timeouts.Max() - timeouts.Min() > TimeSpan.FromMilliseconds(500), $"spread only {timeouts.Max() - timeouts.Min()}");
    }

    private static async Task<int> PendingAsync(TestSidecar sidecar)
    {
        var text = (await Scrape.FromAsync(sidecar.Host.AdminUrl)).Text;
        var line = text.Split('\n').Single(l => l.StartsWith("wsproxy_handshakes_in_progress ", StringComparison.Ordinal));
        return (int)double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
