using System.Collections.Concurrent;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;
using K8sWsProxy.Tunnel.Messages;
using Prometheus;

namespace K8sWsProxy.Sidecar.Metrics;

/// <summary>
/// The sidecar's Prometheus metrics (names and labels as in ARCHITECTURE.md), in a registry of its own per host.
/// Labels are namespace and route only, never client, path or address. The per-message counts live in the tunnels'
/// plain counters and are copied into the exported counters at scrape time, so the message path never touches
/// Prometheus.
/// </summary>
internal sealed class SidecarMetrics
{
    private static readonly string[] RouteLabels = ["namespace", "route"];

    private readonly Gauge _active;
    private readonly Counter _connections;
    private readonly Counter _messages;
    private readonly Counter _bytes;
    private readonly Histogram _connect;
    private readonly Histogram _duration;
    private readonly Counter _closes;
    private readonly Counter _handshakeFailures;
    private readonly Gauge _revision;
    private readonly Counter _reloads;
    private readonly Gauge _certificateExpiry;
    private readonly Counter _ruleMatches;
    private readonly Counter _failovers;
    private readonly Histogram _reconnect;
    private readonly Counter _heldMessages;
    private readonly Gauge _pendingHandshakes;
    private readonly ConcurrentDictionary<string, RouteCounters> _counters = new(StringComparer.Ordinal);
    private volatile HashSet<string> _liveRoutes = [];
    private string? _revisionShown;

    public SidecarMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _active = factory.CreateGauge("wsproxy_connections_active", "Open proxied WebSocket connections.", RouteLabels);
        _connections = factory.CreateCounter("wsproxy_connections_total", "WebSocket handshakes by result: accepted (upgraded), rejected (by the proxy's checks), failed (upstream).", [.. RouteLabels, "result"]);
        _messages = factory.CreateCounter("wsproxy_messages_total", "Whole data messages relayed, by direction (to_upstream, to_client).", [.. RouteLabels, "direction"]);
        _bytes = factory.CreateCounter("wsproxy_bytes_total", "Data message payload bytes relayed, by direction.", [.. RouteLabels, "direction"]);
        _connect = factory.CreateHistogram("wsproxy_upstream_connect_seconds", "From the client's request to the upstream's 101, retries included.", RouteLabels, new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _duration = factory.CreateHistogram("wsproxy_connection_duration_seconds", "Lifetime of upgraded connections.", RouteLabels, new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 4, 12) });
        _closes = factory.CreateCounter("wsproxy_closes_total", "Ended connections by close code and by who closed first (client, upstream, proxy).", [.. RouteLabels, "code", "initiator"]);
        _handshakeFailures = factory.CreateCounter("wsproxy_handshake_failures_total", "Handshakes that did not upgrade, by reason.", [.. RouteLabels, "reason"]);
        _revision = factory.CreateGauge("wsproxy_config_revision_info", "The active config revision (value 1).", ["revision"]);
        _reloads = factory.CreateCounter("wsproxy_config_reloads_total", "Documents applied (success) or refused (failure).", ["result"]);
        _certificateExpiry = factory.CreateGauge("wsproxy_tls_certificate_expiry_timestamp_seconds", "NotAfter of each route's served certificate, Unix seconds.", RouteLabels);
        _ruleMatches = factory.CreateCounter("wsproxy_message_rule_matches_total", "Messages a route's rule acted on, by rule and action (reply, drop, rewrite, close).", [.. RouteLabels, "rule", "action"]);
        _failovers = factory.CreateCounter("wsproxy_upstream_failovers_total", "Upstream connections lost under a connected client on routes that reconnect (lost), and how each failover ended (reconnected, gave_up).", [.. RouteLabels, "result"]);
        _reconnect = factory.CreateHistogram("wsproxy_upstream_reconnect_seconds", "From the loss of an upstream connection to its successor taking messages, on routes that reconnect.", RouteLabels, new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _pendingHandshakes = factory.CreateGauge("wsproxy_handshakes_in_progress", "Connections accepted and not yet upgraded or answered: TLS being negotiated, a request head being read, the upstream being dialled (slowloris and half-open connections show here).");
        _heldMessages = factory.CreateCounter("wsproxy_failover_messages_total", "Client messages that came while the upstream was being reconnected: held for it (buffered) or dropped.", [.. RouteLabels, "outcome"]);
        // Both results exist from the start, so increase() over a first refusal is not lost to a missing series.
        _reloads.WithLabels("success");
        _reloads.WithLabels("failure");
        Registry.AddBeforeCollectCallback(PublishCounters);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Counted by the listeners, read at scrape time.</summary>
    public PendingHandshakes PendingHandshakes { get; } = new();

    /// <summary>The message and byte counters of a route: one pair per route name, kept across reloads so counters never go back.</summary>
    public RouteCounters CountersFor(string routeKey) => _counters.GetOrAdd(routeKey, _ => new RouteCounters());

    /// <summary>Labelled children of one route, resolved once when the route's runtime is built.</summary>
    public RouteMetrics ForRoute(string routeNamespace, string routeName) => new(this, routeNamespace, routeName);

    public void ConfigApplied(ActiveConfig config)
    {
        _reloads.WithLabels("success").Inc();
        if (_revisionShown is { } previous)
        {
            _revision.RemoveLabelled(previous);
        }

        _revisionShown = config.Revision ?? "";
        _revision.WithLabels(_revisionShown).Set(1);
        _liveRoutes = [.. config.Routes.Keys];
        var served = config.Certificates.Entries.Select(e => e.RouteKey).ToHashSet(StringComparer.Ordinal);
        foreach (var labels in _certificateExpiry.GetAllLabelValues().Where(l => !served.Contains($"{l[0]}/{l[1]}")).ToArray())
        {
            _certificateExpiry.RemoveLabelled(labels);
        }

        foreach (var entry in config.Certificates.Entries)
        {
            var (ns, name) = Split(entry.RouteKey);
            _certificateExpiry.WithLabels(ns, name).Set(new DateTimeOffset(entry.Certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds());
        }
    }

    public void ConfigRefused() => _reloads.WithLabels("failure").Inc();

    /// <summary>
    /// Drops every series of a route that left the document once its last connection has ended, so dashboards do
    /// not show ghosts; a route that came back in the meantime keeps its series.
    /// </summary>
    public void RouteGone(string routeKey)
    {
        if (_liveRoutes.Contains(routeKey))
        {
            return;
        }

        var (ns, name) = Split(routeKey);
        _counters.TryRemove(routeKey, out _);
        Remove(_active, ns, name);
        Remove(_connections, ns, name);
        Remove(_messages, ns, name);
        Remove(_bytes, ns, name);
        Remove(_connect, ns, name);
        Remove(_duration, ns, name);
        Remove(_closes, ns, name);
        Remove(_handshakeFailures, ns, name);
        Remove(_certificateExpiry, ns, name);
        Remove(_ruleMatches, ns, name);
        Remove(_failovers, ns, name);
        Remove(_reconnect, ns, name);
        Remove(_heldMessages, ns, name);
    }

    private static void Remove<TChild>(Collector<TChild> collector, string ns, string name)
        where TChild : ChildBase
    {
        foreach (var labels in collector.GetAllLabelValues().Where(l => l.Length >= 2 && l[0] == ns && l[1] == name).ToArray())
        {
            collector.RemoveLabelled(labels);
        }
    }

    private void PublishCounters()
    {
        _pendingHandshakes.Set(PendingHandshakes.Count);
        foreach (var (key, counters) in _counters)
        {
            var (ns, name) = Split(key);
            _messages.WithLabels(ns, name, "to_upstream").IncTo(counters.ToUpstream.Messages);
            _messages.WithLabels(ns, name, "to_client").IncTo(counters.ToClient.Messages);
            _bytes.WithLabels(ns, name, "to_upstream").IncTo(counters.ToUpstream.Bytes);
            _bytes.WithLabels(ns, name, "to_client").IncTo(counters.ToClient.Bytes);
        }
    }

    private static (string Namespace, string Name) Split(string routeKey)
    {
        var slash = routeKey.IndexOf('/', StringComparison.Ordinal);
        return (routeKey[..slash], routeKey[(slash + 1)..]);
    }

    /// <summary>What a route's connections count into.</summary>
    internal sealed class RouteCounters
    {
        public DirectionCounters ToUpstream { get; } = new();

        public DirectionCounters ToClient { get; } = new();
    }

    /// <summary>The children of one route's series, resolved once per route rather than per connection or message.</summary>
    internal sealed class RouteMetrics : IMessageEvents
    {
        private readonly SidecarMetrics _owner;
        private readonly string _namespace;
        private readonly string _name;
        private readonly Gauge.Child _active;
        private readonly Counter.Child _accepted;
        private readonly Counter.Child _rejected;
        private readonly Counter.Child _failed;
        private readonly Histogram.Child _connect;
        private readonly Histogram.Child _duration;

        public RouteMetrics(SidecarMetrics owner, string routeNamespace, string routeName)
        {
            _owner = owner;
            _namespace = routeNamespace;
            _name = routeName;
            _active = owner._active.WithLabels(routeNamespace, routeName);
            _accepted = owner._connections.WithLabels(routeNamespace, routeName, "accepted");
            _rejected = owner._connections.WithLabels(routeNamespace, routeName, "rejected");
            _failed = owner._connections.WithLabels(routeNamespace, routeName, "failed");
            _connect = owner._connect.WithLabels(routeNamespace, routeName);
            _duration = owner._duration.WithLabels(routeNamespace, routeName);
        }

        public void Upgraded(TimeSpan handshake)
        {
            _accepted.Inc();
            _active.Inc();
            _connect.Observe(handshake.TotalSeconds);
        }

        public void Ended(TunnelOutcome outcome, TimeSpan lifetime)
        {
            _active.Dec();
            _duration.Observe(lifetime.TotalSeconds);
            var code = outcome.CloseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
            _owner._closes.WithLabels(_namespace, _name, code, outcome.Initiator.ToString().ToLowerInvariant()).Inc();
        }

        public void RuleApplied(MessageRule rule) =>
            _owner._ruleMatches.WithLabels(_namespace, _name, rule.Name, rule.Action.ToString().ToLowerInvariant()).Inc();

        public void UpstreamLost() => _owner._failovers.WithLabels(_namespace, _name, "lost").Inc();

        public void Reconnected(TimeSpan gap)
        {
            _owner._failovers.WithLabels(_namespace, _name, "reconnected").Inc();
            _owner._reconnect.WithLabels(_namespace, _name).Observe(gap.TotalSeconds);
        }

        public void GaveUp() => _owner._failovers.WithLabels(_namespace, _name, "gave_up").Inc();

        public void Buffered() => _owner._heldMessages.WithLabels(_namespace, _name, "buffered").Inc();

        public void Dropped() => _owner._heldMessages.WithLabels(_namespace, _name, "dropped").Inc();

        /// <summary>A handshake the proxy refused (its checks) or could not complete (the upstream), by reason.</summary>
        public void HandshakeFailed(string reason, bool upstream)
        {
            (upstream ? _failed : _rejected).Inc();
            _owner._handshakeFailures.WithLabels(_namespace, _name, reason).Inc();
        }
    }
}
