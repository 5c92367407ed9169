using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>The relay's socket stream on real loopback sockets: its waits end when they should and only then.</summary>
public sealed class SocketStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Long enough for an edge that should not come to have come.
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task AZeroByteReadWaitsForDataAndAnEmptySocketIsNotReadAgainUntilMoreComes()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            AssertEmpty(stream);
            var wait = stream.ReadAsync(Memory<byte>.Empty).AsTask();
            await Task.Delay(Quiet);
            Assert.False(wait.IsCompleted);

            peer.Send("hello"u8);
            Assert.Equal(0, await wait.WaitAsync(Patience));
            var buffer = new byte[64];
            Assert.True(stream.TryRead(buffer, out var read));
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, read));
            Assert.False(stream.TryRead(buffer, out _));
        }
    }

    [Fact]
    public async Task AReadWaitingWithABufferGetsTheBytesThatCome()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            AssertEmpty(stream);
            var buffer = new byte[64];
            var read = stream.ReadAsync(buffer).AsTask();
            await Task.Delay(Quiet);
            Assert.False(read.IsCompleted);

            peer.Send("later"u8);
            Assert.Equal("later", Encoding.ASCII.GetString(buffer, 0, await read.WaitAsync(Patience)));
        }
    }

    [Fact]
    public async Task BytesThatCameBeforeTheStreamWasMadeAreRead()
    {
        var (connecting, accepted) = await LoopbackPair.ConnectSocketsAsync();
        using (connecting)
        {
            connecting.Send("early"u8);
            await Poll.UntilAsync(() => accepted.Available == 5, "the bytes to be in the socket before the stream is made");
            await using var stream = new SocketStream(accepted);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.Equal("early", Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    [Fact]
    public async Task ThePeersEndIsSeenWhenItComesRightBehindItsLastBytes()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            peer.Send("bye"u8);
            peer.Shutdown(SocketShutdown.Send);
            await Task.Delay(Quiet); // both the bytes and the end are there before the stream reads

            var buffer = new byte[64];
            await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Patience);
            Assert.True(stream.TryRead(buffer, out var read));
            Assert.Equal(3, read); // a short read, with the end already queued behind it
            await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Patience);
            Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task AWriteToAPeerThatDoesNotReadWaitsAndFinishesOnceThePeerReads()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            var data = new byte[32 * 1024 * 1024];
            Random.Shared.NextBytes(data);
            var write = stream.WriteAsync(data).AsTask();
            await Task.Delay(Quiet);
            Assert.False(write.IsCompleted); // more than the kernel buffers on both ends hold

            var received = new byte[data.Length];
            var at = 0;
            while (at < received.Length)
            {
                at += await peer.ReceiveAsync(received.AsMemory(at)).AsTask().WaitAsync(Patience);
            }

            await write.WaitAsync(Patience);
            Assert.True(data.AsSpan().SequenceEqual(received));
        }
    }

    [Fact]
    public async Task ACancelledReadThrowsAndTheNextReadStillGetsTheBytes()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            AssertEmpty(stream);
            using var cancel = new CancellationTokenSource();
            var buffer = new byte[64];
            var read = stream.ReadAsync(buffer, cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Patience));

            peer.Send("again"u8);
            var count = await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.Equal("again", Encoding.ASCII.GetString(buffer, 0, count));
        }
    }

    [Fact]
    public async Task DisposingTheStreamEndsAWaitingRead()
    {
        var (stream, peer) = await PairAsync();
        using (peer)
        {
            AssertEmpty(stream);
            var read = stream.ReadAsync(new byte[64]).AsTask();
            await stream.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task DisposingTheStreamClosesTheConnectionAfterItsLastBytesWithoutAReset()
    {
        var (stream, peer) = await PairAsync();
        using (peer)
        {
            await stream.WriteAsync("last words"u8.ToArray());
            await stream.DisposeAsync();
            var buffer = new byte[64];
            var received = 0;
            int read;
            while ((read = await peer.ReceiveAsync(buffer.AsMemory(received)).AsTask().WaitAsync(Patience)) > 0)
            {
                received += read;
            }

            Assert.Equal("last words", Encoding.ASCII.GetString(buffer, 0, received));
        }
    }

    [Fact]
    public async Task InterruptingEndsAWaitingReadAndEveryLaterWaitButBytesThatComeCanStillBeRead()
    {
        var (stream, peer) = await PairAsync();
        await using (stream)
        using (peer)
        {
            var wait = stream.ReadAsync(Memory<byte>.Empty).AsTask();
            await Task.Delay(Quiet);
            Assert.False(wait.IsCompleted);

            stream.InterruptReads();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Patience));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Patience));

            peer.Send("still"u8);
            var buffer = new byte[64];
            var read = 0;
            await Poll.UntilAsync(() => stream.TryRead(buffer, out read), "the bytes sent after the interrupt");
            Assert.Equal("still", Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    [Fact]
    public async Task ADisposedStreamRefusesReadsAndWritesInsteadOfWaiting()
    {
        var (stream, peer) = await PairAsync();
        using (peer)
        {
            await stream.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Patience));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WriteAsync("late"u8.ToArray()).AsTask().WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task ConnectReachesAListenerAndIsRefusedWhereNothingListens()
    {
        using var listener = Listen();
        var accept = listener.AcceptAsync();
        await using (var stream = await SocketStream.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, default).AsTask().WaitAsync(Patience))
        using (var accepted = await accept.WaitAsync(Patience))
        {
            await stream.WriteAsync("ping"u8.ToArray());
            var buffer = new byte[4];
            Assert.Equal(4, await accepted.ReceiveAsync(buffer).WaitAsync(Patience));
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
        }

        var closedPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        listener.Dispose();
        var refused = await Assert.ThrowsAsync<SocketException>(() => SocketStream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, closedPort), default).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        return listener;
    }

    private static async Task<(SocketStream Stream, Socket Peer)> PairAsync()
    {
        var (connecting, accepted) = await LoopbackPair.ConnectSocketsAsync();
        return (new SocketStream(accepted), connecting);
    }

    /// <summary>Nothing was sent yet: the stream holds nothing, and knows it without waiting.</summary>
    private static void AssertEmpty(SocketStream stream) => Assert.False(stream.TryRead(new byte[64], out _));
}
