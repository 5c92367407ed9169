using System.Collections.Concurrent;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>
/// A raw-socket WebSocket peer that answers pings with pongs (like any live peer) and records every frame it
/// receives, so tests can see frames a <see cref="System.Net.WebSockets.WebSocket"/> would hide.
/// </summary>
internal sealed class RawPeer
{
    private readonly Stream _stream;
    private readonly bool _mask;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private RawPeer(Stream stream, bool isClient)
    {
        _stream = stream;
        _mask = isClient;
        Reading = ReadLoopAsync();
    }

    public ConcurrentQueue<(int Opcode, byte[] Payload)> Received { get; } = new();

    public Task Reading { get; }

    public static RawPeer Client(Stream stream) => new(stream, isClient: true);

    public static RawPeer Server(Stream stream) => new(stream, isClient: false);

    public int Count(int opcode) => Received.Count(frame => frame.Opcode == opcode);

    public async Task SendAsync(int opcode, byte[] payload)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(RawFrames.Build(opcode, payload, _mask));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await RawFrames.ReadAsync(_stream, timeout.Token) is { } frame)
            {
                Received.Enqueue(frame);
                if (frame.Opcode == RawFrames.Ping)
                {
                    await SendAsync(RawFrames.Pong, frame.Payload);
                }
                else if (frame.Opcode == RawFrames.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection was cut; what was received so far is what the test checks.
        }
    }
}
