using System.Text.Json;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Tls;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>
/// The one way a document becomes active, whatever its source (file, operator): validate all of it, build
/// everything it needs, then swap it in at once, or change nothing. Routes whose config is unchanged keep their
/// runtime (and so their live connections and balancing state); the connections of removed or changed routes are
/// drained.
/// </summary>
internal sealed class ConfigApplier(Hosting.SidecarOptions options, RouteDrainer drainer, StateStore state, SidecarMetrics metrics, ILogger<ConfigApplier> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile ActiveConfig _current = ActiveConfig.Empty;
    private CertificateCache _certificates = CertificateCache.Empty;

    public ActiveConfig Current => _current;

    /// <summary>True once a document has been applied: what /readyz reports.</summary>
    public bool HasDocument => _current != ActiveConfig.Empty;

    public async Task<ApplyResult> ApplyAsync(SidecarConfigDocument document, CancellationToken cancellationToken)
    {
        var errors = SidecarConfigValidator.Validate(document);
        if (errors.Count > 0)
        {
            return Refuse(document.Revision, [.. errors.Select(e => e.ToString())]);
        }

        document = RevisionHasher.WithRevision(document);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var previous = _current;
            if (previous.Revision == document.Revision)
            {
                return ApplyResult.Ack(document.Revision!);
            }

            var built = new List<RouteRuntime>();
            var certificates = _certificates.Next();
            ActiveConfig next;
            try
            {
                var routes = new Dictionary<string, RouteRuntime>(StringComparer.Ordinal);
                foreach (var route in document.Routes)
                {
                    if (previous.Routes.TryGetValue(route.Key, out var existing) && SameConfig(existing.Config, route))
                    {
                        routes[route.Key] = existing;
                        continue;
                    }

                    var runtime = new RouteRuntime(route, metrics, certificates, logger);
                    built.Add(runtime);
                    routes[route.Key] = runtime;
                }

                next = new ActiveConfig(document, routes, CertificateSet.Build(document.Routes, certificates));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or FormatException)
            {
                built.ForEach(r => r.Dispose());
                return Refuse(document.Revision, [$"cannot build the document: {e.Message}"]);
            }

            _current = next;
            _certificates = certificates;
            metrics.ConfigApplied(next);

            foreach (var (key, old) in previous.Routes)
            {
                var successor = next.Routes.GetValueOrDefault(key);
                if (successor != old)
                {
                    drainer.Retire(old, successor);
                }
            }

            if (options.ListenTls is null && document.Routes.FirstOrDefault(r => r.Tls is not null) is { } secure)
            {
                Log.NoTlsListener(logger, secure.Key);
            }

            if (!options.FrameTracking && document.Routes.FirstOrDefault(r => r.Messages is not null || r.Upstream.OnLost == Contracts.Config.UpstreamLost.Reconnect) is { } reading)
            {
                Log.NoMessageStage(logger, reading.Key);
            }

            state.Save(document);
            Log.ConfigApplied(logger, document.Revision!, document.Routes.Count);
            return ApplyResult.Ack(document.Revision!);
        }
        finally
        {
            _gate.Release();
        }
    }

    private ApplyResult Refuse(string? revision, IReadOnlyList<string> reasons)
    {
        metrics.ConfigRefused();
        Log.ConfigRefused(logger, revision ?? "(none)", string.Join("; ", reasons));
        return ApplyResult.Nack(revision, reasons);
    }

    private static bool SameConfig(RouteConfig a, RouteConfig b) =>
        JsonSerializer.Serialize(a, ConfigJson.Route) == JsonSerializer.Serialize(b, ConfigJson.Route);
}
