using System.Diagnostics;
using System.Net.WebSockets;

namespace K8sWsProxy.Tunnel.Tests;

[Collection(TimingCollection.Name)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task MessagesPastTheRateWaitAndNoneIsLost()
    {
        await using var harness = await TunnelHarness.StartAsync(new TunnelOptions { MessagesPerSecond = 50 });
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        const int count = 100;

        var started = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendMessageAsync(WebSocketMessageType.Text, BitConverter.GetBytes(i));
            }
        });
        for (var i = 0; i < count; i++)
        {
            var (_, data) = await server.ReceiveMessageAsync();
            Assert.Equal(i, BitConverter.ToInt32(data));
        }

        await sending;

        // A one-second burst of 50, then 50 more at 50 per second.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(900), $"took {started.Elapsed}");
        Assert.Equal(count, harness.ToUpstream.Messages);
    }
}
