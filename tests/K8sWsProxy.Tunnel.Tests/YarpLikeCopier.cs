namespace K8sWsProxy.Tunnel.Tests;

/// <summary>
/// Copies both ways the way YARP does after a 101: a zero-byte read, a read, a write and a flush per round;
/// the first loop to end cancels the other, then both streams are disposed.
/// </summary>
internal static class YarpLikeCopier
{
    public static async Task RunAsync(Stream downstream, Stream upstream, int bufferSize)
    {
        using var cancellation = new CancellationTokenSource();
        var requests = CopyAsync(downstream, upstream, bufferSize, cancellation.Token);
        var responses = CopyAsync(upstream, downstream, bufferSize, cancellation.Token);
        await Task.WhenAny(requests, responses);
        await cancellation.CancelAsync();
        await Task.WhenAll(requests, responses);
        await downstream.DisposeAsync();
        await upstream.DisposeAsync();
    }

    private static async Task CopyAsync(Stream from, Stream to, int bufferSize, CancellationToken cancellationToken)
    {
        var buffer = new byte[bufferSize];
        try
        {
            while (true)
            {
                // YARP waits for data with a zero-byte read before renting its buffer; it returns 0 by definition.
                _ = await from.ReadAsync(Memory<byte>.Empty, cancellationToken);
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await to.FlushAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Like YARP: a failed or cancelled side just ends its loop.
        }
    }
}
