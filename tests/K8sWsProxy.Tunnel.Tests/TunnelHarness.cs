using System.Net.Sockets;
using System.Net.WebSockets;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>
/// A client end and a server end joined by real loopback sockets through a <see cref="WebSocketTunnel"/>
/// and the sidecar's <see cref="Relay"/>. The peers are raw streams; <see cref="ClientWebSocket"/> and <see cref="ServerWebSocket"/>
/// turn them into real WebSockets.
/// </summary>
internal sealed class TunnelHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TunnelScheduler _scheduler;
    private readonly bool _ownsScheduler;
    private readonly IDisposable _registration;

    private TunnelHarness(Stream clientPeer, Stream serverPeer, WebSocketTunnel tunnel, DirectionCounters toUpstream, DirectionCounters toClient, Task copy, TunnelScheduler scheduler, bool ownsScheduler)
    {
        _ownsScheduler = ownsScheduler;
        ClientPeer = clientPeer;
        ServerPeer = serverPeer;
        Tunnel = tunnel;
        ToUpstream = toUpstream;
        ToClient = toClient;
        Copy = copy;
        _scheduler = scheduler;
        _registration = scheduler.Register(tunnel);
    }

    public Stream ClientPeer { get; }

    public Stream ServerPeer { get; }

    public WebSocketTunnel Tunnel { get; }

    public DirectionCounters ToUpstream { get; }

    public DirectionCounters ToClient { get; }

    public Task Copy { get; }

    /// <summary>A tunnel registered with <paramref name="scheduler"/>, or with a scheduler of its own (20 ms ticks).</summary>
    public static async Task<TunnelHarness> StartAsync(TunnelOptions? options = null, int bufferSize = 64 * 1024, TunnelScheduler? scheduler = null, bool perMessageDeflate = false)
    {
        // The proxy's ends are what the sidecar relays on: sockets driven by its reactor.
        var (client, proxyDown) = await LoopbackPair.ConnectSocketsAsync();
        var (proxyUp, server) = await LoopbackPair.ConnectSocketsAsync();
        var toUpstream = new DirectionCounters();
        var toClient = new DirectionCounters();
        var tunnel = new WebSocketTunnel(options ?? new TunnelOptions(), toUpstream, toClient, TimeProvider.System) { PerMessageDeflate = perMessageDeflate };
        var copy = Relay.RunAsync(tunnel, new SocketStream(proxyDown), new SocketStream(proxyUp), default, default, bufferSize);
        return new TunnelHarness(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true), tunnel, toUpstream, toClient, copy,
            scheduler ?? new TunnelScheduler(TimeProvider.System, TimeSpan.FromMilliseconds(20)), ownsScheduler: scheduler is null);
    }

    public WebSocket ClientWebSocket(WebSocketDeflateOptions? deflate = null) => WebSocket.CreateFromStream(
        ClientPeer, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero, DangerousDeflateOptions = deflate });

    public WebSocket ServerWebSocket(WebSocketDeflateOptions? deflate = null) => WebSocket.CreateFromStream(
        ServerPeer, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero, DangerousDeflateOptions = deflate });

    public async Task<TunnelOutcome> OutcomeAsync() => await Tunnel.Completion.WaitAsync(Patience);

    public async ValueTask DisposeAsync()
    {
        _registration.Dispose();
        Tunnel.Abort();
        await ClientPeer.DisposeAsync();
        await ServerPeer.DisposeAsync();
        await Copy.WaitAsync(Patience);
        if (_ownsScheduler)
        {
            await _scheduler.DisposeAsync();
        }
    }
}
