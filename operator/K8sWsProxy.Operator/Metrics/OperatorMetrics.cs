using System.Collections.Concurrent;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Informers;
using K8sWsProxy.Operator.Injection;
using Prometheus;

namespace K8sWsProxy.Operator.Metrics;

/// <summary>
/// The operator's Prometheus metrics (names as in ARCHITECTURE.md), in a registry of its own, served on the health
/// port. Gauges that describe the cluster (connected sidecars, routes by readiness, each route's selected and synced
/// sidecars as its status says) are read from the caches at scrape time.
/// </summary>
internal sealed class OperatorMetrics
{
    private readonly Counter _reconciles;
    private readonly Histogram _reconcileSeconds;
    private readonly Histogram _push;
    private readonly Counter _injections;
    private readonly ConcurrentDictionary<string, (string Revision, long At)> _published = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public OperatorMetrics(ChannelHub hub, ClusterCache cache, ConnectionCap cap, TimeProvider time)
    {
        _time = time;
        hub.Published += Published;
        hub.Reported += pod => Answered(pod, hub.ReportOf(pod) is { } a ? (a.Refused ?? a.Applied)?.Revision ?? "" : "");
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _reconciles = factory.CreateCounter("wsproxy_operator_reconcile_total", "Work-queue items handled, by result (success, error).", ["result"]);
        _reconcileSeconds = factory.CreateHistogram("wsproxy_operator_reconcile_seconds", "Time to handle one work-queue item.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _push = factory.CreateHistogram("wsproxy_operator_config_push_seconds", "From publishing a sidecar's document to its answer (ack or nack).", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _injections = factory.CreateCounter("wsproxy_operator_injections_total", "AdmissionReviews answered by the sidecar-injection webhook, by result (injected, skipped, refused).", ["result"]);
        foreach (var outcome in Enum.GetValues<InjectionOutcome>())
        {
            // Every result from zero, so rate() and alerts see the first injection or refusal too.
            _injections.WithLabels(Result(outcome));
        }

        var fanOut = factory.CreateHistogram("wsproxy_operator_config_fanout_seconds", "The operator's own part of a change: from the change seen by its watch to the last changed document written to a connected sidecar.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        hub.FannedOut += seenAt => fanOut.Observe(time.GetElapsedTime(seenAt).TotalSeconds);
        var connected = factory.CreateGauge("wsproxy_operator_sidecars_connected", "Sidecars connected to this replica's config channel.");
        var open = factory.CreateGauge("wsproxy_operator_channel_connections", "Open connections on the TLS listener (sidecars, webhook calls, and any not yet authenticated).");
        var refused = factory.CreateCounter("wsproxy_operator_channel_connections_refused_total", "Connections the TLS listener closed at once because its cap (--max-channel-connections) was reached.");
        var routes = factory.CreateGauge("wsproxy_operator_routes", "WebSocketRoutes by their Ready condition (true, false, unknown).", ["ready"]);
        var sidecars = factory.CreateGauge("wsproxy_operator_route_sidecars", "Each route's sidecars as its status says: selected, and synced to its revision.", ["namespace", "route", "state"]);
        var failing = factory.CreateGauge("wsproxy_operator_route_upstream_failing_sidecars", "Each route's upstream endpoints that failed lately, as its status says: on how many of its sidecars.", ["namespace", "route", "endpoint"]);
        Registry.AddBeforeCollectCallback(() =>
        {
            connected.Set(hub.Connected);
            open.Set(cap.Open);
            refused.IncTo(cap.Refused);
            var all = cache.Routes.Items.ToList();
            foreach (var ready in new[] { "true", "false", "unknown" })
            {
                routes.WithLabels(ready).Set(all.Count(r => Ready(r) == ready));
            }

            var present = new HashSet<(string, string)>();
            var failingNow = new HashSet<(string, string, string)>();
            foreach (var route in all)
            {
                var key = (route.Metadata.NamespaceProperty, route.Metadata.Name);
                present.Add(key);
                sidecars.WithLabels(key.Item1, key.Item2, "selected").Set(route.Status?.Sidecars.Selected ?? 0);
                sidecars.WithLabels(key.Item1, key.Item2, "synced").Set(route.Status?.Sidecars.Synced ?? 0);
                foreach (var failure in route.Status?.UpstreamFailures ?? [])
                {
                    failingNow.Add((key.Item1, key.Item2, failure.Endpoint));
                    failing.WithLabels(key.Item1, key.Item2, failure.Endpoint).Set(failure.Sidecars);
                }
            }

            foreach (var labels in sidecars.GetAllLabelValues().Where(l => !present.Contains((l[0], l[1]))).ToArray())
            {
                sidecars.RemoveLabelled(labels);
            }

            foreach (var labels in failing.GetAllLabelValues().Where(l => !failingNow.Contains((l[0], l[1], l[2]))).ToArray())
            {
                failing.RemoveLabelled(labels);
            }
        });
    }

    public CollectorRegistry Registry { get; }

    public void Reconciled(bool success, TimeSpan elapsed)
    {
        _reconciles.WithLabels(success ? "success" : "error").Inc();
        _reconcileSeconds.Observe(elapsed.TotalSeconds);
    }

    public void Injection(InjectionOutcome outcome) => _injections.WithLabels(Result(outcome)).Inc();

    private static string Result(InjectionOutcome outcome) => outcome.ToString().ToLowerInvariant();

    /// <summary>A pod's new document went out; its answer ends the push.</summary>
    private void Published(string podKey, string revision) => _published[podKey] = (revision, _time.GetTimestamp());

    private void Answered(string podKey, string revision)
    {
        if (_published.TryGetValue(podKey, out var sent) && sent.Revision == revision && _published.TryRemove(new(podKey, sent)))
        {
            _push.Observe(_time.GetElapsedTime(sent.At).TotalSeconds);
        }
    }

    private static string Ready(Routes.WebSocketRoute route) =>
        route.Status?.Conditions.FirstOrDefault(c => c.Type == "Ready")?.Status switch
        {
            "True" => "true",
            "False" => "false",
            _ => "unknown",
        };
}
