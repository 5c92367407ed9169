using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Sidecar.Tls;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;
using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>
/// A route as the proxy runs it: its config, parsed once, plus what lives as long as the route: the upstream
/// client, endpoint state, the connection count and the live tunnels (so a reload or shutdown can drain them).
/// </summary>
internal sealed class RouteRuntime : IDisposable
{
    private int _connections;
    private TaskCompletionSource? _noConnections;

    public RouteRuntime(RouteConfig config, SidecarMetrics metrics, CertificateCache certificates, ILogger logger)
    {
        Config = config;
        var counters = metrics.CountersFor(config.Key);
        ToUpstream = counters.ToUpstream;
        ToClient = counters.ToClient;
        Metrics = metrics.ForRoute(config.Namespace, config.Name);
        var tls = UpstreamClientFactory.ClientTls(config, certificates, logger);
        Endpoints = [.. config.Upstream.Endpoints.Select((e, i) => new UpstreamEndpoint(e, i, tls))];
        Selector = new EndpointSelector(Endpoints, config.Upstream.LoadBalancing, config.Upstream.SessionAffinity);
        Client = UpstreamClientFactory.Create(config, tls);
        PathRegex = config.Match.PathType == PathType.RegularExpression
            ? new Regex($"^(?:{config.Match.Path})$", RegexOptions.CultureInvariant | RegexOptions.Compiled, SidecarConfigValidator.RegexTimeout)
            : null;
        ConnectTimeout = Duration.Parse(config.Timeouts.Connect);
        HandshakeTimeout = Duration.Parse(config.Timeouts.Handshake);
        DrainTimeout = Duration.Parse(config.Timeouts.Drain);
        RetryInitialInterval = Duration.Parse(config.Upstream.Retry.InitialInterval);
        var idle = Duration.Parse(config.Timeouts.Idle);
        TunnelOptions = new TunnelOptions
        {
            MaxMessageBytes = config.WebSocket.MaxMessageBytes > 0 ? config.WebSocket.MaxMessageBytes : Contracts.Config.WebSocketOptions.HardMaxMessageBytes,
            KeepAliveInterval = config.WebSocket.KeepAliveInterval is { } k ? Duration.Parse(k) : null,
            IdleTimeout = idle > TimeSpan.Zero ? idle : null,
            MessagesPerSecond = config.Limits.MessagesPerSecond,
        };
        Messages = RouteMessages.Compile(config);
        RulesOnly = Messages is { Rules.Count: > 0 } ? Messages with { Failover = null } : null;
    }

    public RouteConfig Config { get; }

    public string Key => Config.Key;

    public IReadOnlyList<UpstreamEndpoint> Endpoints { get; }

    public EndpointSelector Selector { get; }

    public HttpMessageInvoker Client { get; }

    /// <summary>Matches the whole path, as Envoy and the Gateway API implementations do.</summary>
    public Regex? PathRegex { get; }

    public TimeSpan ConnectTimeout { get; }

    public TimeSpan HandshakeTimeout { get; }

    public TimeSpan DrainTimeout { get; }

    public TimeSpan RetryInitialInterval { get; }

    public TunnelOptions TunnelOptions { get; }

    /// <summary>Message rules and failover; null when the route has neither (its connections relay bytes).</summary>
    public MessageOptions? Messages { get; }

    /// <summary>The rules without the failover, for clients over HTTP/2, whose upstream connection the forwarder owns.</summary>
    public MessageOptions? RulesOnly { get; }

    public DirectionCounters ToUpstream { get; }

    public DirectionCounters ToClient { get; }

    public SidecarMetrics.RouteMetrics Metrics { get; }

    /// <summary>Live tunnels and the endpoint URL each one is connected to.</summary>
    public ConcurrentDictionary<WebSocketTunnel, string> Tunnels { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Takes a connection slot; false when the route is at its limit.</summary>
    public bool TryAcquireConnection()
    {
        var limit = Config.Limits.MaxConnections;
        var now = Interlocked.Increment(ref _connections);
        if (limit > 0 && now > limit)
        {
            Interlocked.Decrement(ref _connections);
            return false;
        }

        return true;
    }

    public void ReleaseConnection()
    {
        if (Interlocked.Decrement(ref _connections) == 0)
        {
            Volatile.Read(ref _noConnections)?.TrySetResult();
        }
    }

    /// <summary>Set when a document replaced or removed the route: it takes no new connections.</summary>
    public bool Retired { get; private set; }

    /// <summary>A document replaced or removed the route: new handshakes go to its successor.</summary>
    public void Retire()
    {
        Retired = true;
        Interlocked.MemoryBarrier();
    }

    /// <summary>
    /// Completes once no connection holds the route: no handshake in flight and no tunnel open. A retired route's
    /// upstream client must outlive both. (A handshake that takes a slot after <see cref="Retire"/> sees the flag and
    /// moves to the successor; one that took it before is counted here.)
    /// </summary>
    public Task WhenNoConnections()
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _noConnections, signal);
        if (Connections == 0)
        {
            signal.TrySetResult();
        }

        return signal.Task;
    }

    public void Dispose() => Client.Dispose();
}
