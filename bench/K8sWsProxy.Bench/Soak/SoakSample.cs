using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Soak;

/// <summary>One process at one moment: from /proc, and from its /metrics (NaN when the scrape failed).</summary>
/// <param name="Connections">A sidecar's proxied connections (wsproxy_connections_active, all routes); the operator's channel connections.</param>
/// <param name="GcHeapMiB">dotnet_total_memory_bytes: the managed heap's live and not yet collected objects.</param>
/// <param name="ConfigReloads">A sidecar's documents applied so far (wsproxy_config_reloads_total, success).</param>
internal sealed record ProcessSample(double RssMiB, int OpenFiles, double Connections, double GcHeapMiB, double ConfigReloads);

/// <summary>Every process of the cluster and the client's view, at <paramref name="Minutes"/> since the connections were held.</summary>
/// <param name="P99Micros">p99 round trip of the steady and secure routes' echoes since the previous sample.</param>
internal sealed record SoakSample(double Minutes, IReadOnlyDictionary<string, ProcessSample> Processes, double P99Micros, long Echoes, IReadOnlyDictionary<string, int> Connected)
{
    public const string Operator = "operator";

    public static async Task<SoakSample> TakeAsync(LocalCluster cluster, SoakLoad load, double minutes)
    {
        var processes = new Dictionary<string, ProcessSample>(StringComparer.Ordinal);
        foreach (var (name, process) in cluster.Sidecars)
        {
            var scrape = await TryScrapeAsync(cluster.SidecarUrls[name].Admin);
            processes[name] = new ProcessSample(ProcFs.RssBytes(process.Pid) / 1048576.0, ProcFs.OpenFiles(process.Pid),
                scrape?.Value("wsproxy_connections_active") ?? double.NaN, (scrape?.Value("dotnet_total_memory_bytes") ?? double.NaN) / 1048576.0,
                scrape?.Value("wsproxy_config_reloads_total", ("result", "success")) ?? double.NaN);
        }

        var op = await TryScrapeAsync(cluster.OperatorHealth);
        processes[Operator] = new ProcessSample(ProcFs.RssBytes(cluster.Operator.Pid) / 1048576.0, ProcFs.OpenFiles(cluster.Operator.Pid),
            op?.Value("wsproxy_operator_channel_connections") ?? double.NaN, (op?.Value("dotnet_total_memory_bytes") ?? double.NaN) / 1048576.0, double.NaN);
        var (p99, echoes) = load.TakeInterval();
        return new SoakSample(minutes, processes, p99, echoes, load.Connected());
    }

    private static async Task<Scrape?> TryScrapeAsync(Uri admin)
    {
        try
        {
            return await Scrape.FromAsync(admin);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
        {
            return null;
        }
    }
}
