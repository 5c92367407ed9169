using System.Net.WebSockets;
using System.Text;

namespace K8sWsProxy.Tunnel.Tests;

public sealed class MessageRelayTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64 * 1024)]
    public async Task MessagesOfEveryKindArriveByteExactBothWaysAndAreCountedOnce(int copyBufferSize)
    {
        await using var harness = await TunnelHarness.StartAsync(bufferSize: copyBufferSize);
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();

        await SendAndCheckEveryKindAsync(client, server);
        await SendAndCheckEveryKindAsync(server, client);

        var expectedBytes = EveryKind.Sum(message => (long)message.Data.Length);
        Assert.Equal((EveryKind.Length, expectedBytes), (harness.ToUpstream.Messages, harness.ToUpstream.Bytes));
        Assert.Equal((EveryKind.Length, expectedBytes), (harness.ToClient.Messages, harness.ToClient.Bytes));
    }

    [Fact]
    public async Task SixteenMebibyteMessagesArriveByteExactBothWays()
    {
        await using var harness = await TunnelHarness.StartAsync();
        using var client = harness.ClientWebSocket();
        using var server = harness.ServerWebSocket();
        var up = RandomBytes(16 * 1024 * 1024, seed: 1);
        var down = RandomBytes(16 * 1024 * 1024, seed: 2);

        var receivedUp = server.ReceiveMessageAsync();
        await client.SendMessageAsync(WebSocketMessageType.Binary, up);
        var (_, gotUp) = await receivedUp;
        Assert.True(up.AsSpan().SequenceEqual(gotUp));

        var receivedDown = client.ReceiveMessageAsync();
        await server.SendMessageAsync(WebSocketMessageType.Binary, down);
        var (_, gotDown) = await receivedDown;
        Assert.True(down.AsSpan().SequenceEqual(gotDown));

        Assert.Equal((1L, (long)up.Length), (harness.ToUpstream.Messages, harness.ToUpstream.Bytes));
        Assert.Equal((1L, (long)down.Length), (harness.ToClient.Messages, harness.ToClient.Bytes));
    }

    [Fact]
    public async Task PingsAndPongsOfThePeersPassThroughAndAreNotMessages()
    {
        await using var harness = await TunnelHarness.StartAsync();
        var client = RawPeer.Client(harness.ClientPeer);
        var server = RawPeer.Server(harness.ServerPeer);

        await client.SendAsync(RawFrames.Ping, "from client"u8.ToArray());
        await server.SendAsync(RawFrames.Ping, "from server"u8.ToArray());

        // Each raw peer answers the other's ping; the answer must come back through the tunnel unchanged.
        await Poll.UntilAsync(() => client.Count(RawFrames.Pong) == 1 && server.Count(RawFrames.Pong) == 1, "both pongs");
        Assert.Equal("from client", Encoding.UTF8.GetString(server.Received.Single(f => f.Opcode == RawFrames.Ping).Payload));
        Assert.Equal("from client", Encoding.UTF8.GetString(client.Received.Single(f => f.Opcode == RawFrames.Pong).Payload));
        Assert.Equal("from server", Encoding.UTF8.GetString(client.Received.Single(f => f.Opcode == RawFrames.Ping).Payload));
        Assert.Equal("from server", Encoding.UTF8.GetString(server.Received.Single(f => f.Opcode == RawFrames.Pong).Payload));
        Assert.Equal(0, harness.ToUpstream.Messages + harness.ToClient.Messages);
    }

    [Fact]
    public async Task PerMessageDeflateFramesPassThroughUntouched()
    {
        await using var harness = await TunnelHarness.StartAsync(perMessageDeflate: true);
        using var client = harness.ClientWebSocket(new WebSocketDeflateOptions());
        using var server = harness.ServerWebSocket(new WebSocketDeflateOptions());
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compress me please, ", 5000)));

        var receivedUp = server.ReceiveMessageAsync();
        await client.SendMessageAsync(WebSocketMessageType.Text, text);
        Assert.Equal(text, (await receivedUp).Data);

        var receivedDown = client.ReceiveMessageAsync();
        await server.SendMessageAsync(WebSocketMessageType.Text, text);
        Assert.Equal(text, (await receivedDown).Data);

        // Counted as on the wire: compressed, so far fewer bytes than the text.
        Assert.Equal(1, harness.ToUpstream.Messages);
        Assert.InRange(harness.ToUpstream.Bytes, 1, text.Length / 10);
        Assert.Equal(1, harness.ToClient.Messages);
        Assert.InRange(harness.ToClient.Bytes, 1, text.Length / 10);
    }

    private static readonly (WebSocketMessageType Type, byte[] Data, int Fragments)[] EveryKind =
    [
        (WebSocketMessageType.Text, "héllo wörld"u8.ToArray(), 1),
        (WebSocketMessageType.Binary, RandomBytes(1000, seed: 3), 1),
        (WebSocketMessageType.Binary, RandomBytes(310, seed: 4), 3),
        (WebSocketMessageType.Text, [], 1),
        (WebSocketMessageType.Binary, RandomBytes(70_000, seed: 5), 1),
    ];

    private static async Task SendAndCheckEveryKindAsync(WebSocket sender, WebSocket receiver)
    {
        using var timeout = new CancellationTokenSource(TunnelHarness.Patience);
        foreach (var (type, data, fragments) in EveryKind)
        {
            var received = receiver.ReceiveMessageAsync();
            var size = (data.Length + fragments - 1) / fragments;
            for (var i = 0; i < fragments; i++)
            {
                var part = data.AsMemory(Math.Min(i * size, data.Length), Math.Min(size, data.Length - Math.Min(i * size, data.Length)));
                await sender.SendAsync(part, type, endOfMessage: i == fragments - 1, timeout.Token);
            }

            var (receivedType, receivedData) = await received;
            Assert.Equal(type, receivedType);
            Assert.Equal(data, receivedData);
        }
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
