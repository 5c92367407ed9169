using System.Text.Json;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Testing;

/// <summary>
/// Debian's Prometheus on a free loopback port, scraping given targets every second; killed by its process id on
/// dispose. Also reads the queries of the shipped Grafana dashboard and runs promtool.
/// </summary>
public sealed partial class PrometheusServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly DirectoryInfo _dir;
    private readonly HttpClient _http = new();

    private PrometheusServer(ChildProcess process, DirectoryInfo dir, Uri url)
    {
        _process = process;
        _dir = dir;
        Url = url;
    }

    public Uri Url { get; }

    public static string ChartFile(string file) => Path.Combine(RepositoryPaths.Root, "charts", "k8s-ws-proxy", "dashboards", file);

    /// <param name="targets">(job, host:port, pod label) for each scrape target.</param>
    /// <param name="parent">Where its folder goes (configuration and data); a new temporary one by default.</param>
    public static PrometheusServer Start(IEnumerable<(string Job, string Target, string Pod)> targets, string? parent = null)
    {
        var dir = parent is null ? Directory.CreateTempSubdirectory("wsproxy-prometheus-") : Directory.CreateDirectory(Path.Combine(parent, "prometheus"));
        var port = Ports.Free();
        var jobs = string.Concat(targets.GroupBy(t => t.Job).Select(g =>
            $"  - job_name: {g.Key}\n    static_configs:\n" + string.Concat(g.Select(t => $"      - targets: [\"{t.Target}\"]\n        labels: {{pod: {t.Pod}}}\n"))));
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        File.WriteAllText(config, $"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n{jobs}");
        var process = ChildProcess.Start("prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}", $"--web.listen-address=127.0.0.1:{port}"]);
        return new PrometheusServer(process, dir, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Waits until every target has been scraped at least <paramref name="scrapes"/> times, so rate() windows hold.</summary>
    public Task WaitForScrapesAsync(int targets, int scrapes = 3) =>
        Poll.UntilAsync(
            async () => await QueryAsync($"count_over_time(up[1m]) >= {scrapes}") is { } r && r.Count >= targets,
            $"{scrapes} scrapes of {targets} targets",
            TimeSpan.FromSeconds(60));

    /// <summary>The result vector of an instant query, or null while Prometheus is starting; throws on a PromQL error.</summary>
    public async Task<List<JsonElement>?> QueryAsync(string query)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(Url, "/api/v1/query?query=" + Uri.EscapeDataString(query)));
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }

        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return null; // still starting ("Service Unavailable" until its storage is ready)
        }

        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        if (json.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"{query}: {body}");
        }

        return [.. json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>
    /// Every PromQL expression of the dashboard (panel targets, and the selectors inside its label_values()
    /// variables), with the variables substituted as Grafana's "All" would.
    /// </summary>
    public static IReadOnlyList<(string Panel, string Query)> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(ChartFile("k8s-ws-proxy.json")));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!, Expr: t.GetProperty("expr").GetString()!)))
            .Concat(dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Where(v => v.GetProperty("type").GetString() == "query")
                .Select(v => (Panel: "variable " + v.GetProperty("name").GetString(), Expr: LabelValues().Match(v.GetProperty("definition").GetString()!).Groups[1].Value)))
            .Select(q => (q.Panel, q.Expr.Replace("$namespace", ".*", StringComparison.Ordinal).Replace("$route", ".*", StringComparison.Ordinal)
                .Replace("$pod", ".*", StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal)))];
    }

    public static async Task<(int Exit, string Output)> PromtoolAsync(string[] args, string? input)
    {
        using var promtool = ChildProcess.Start("promtool", args, stdin: input ?? "");
        var exit = await promtool.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exit, promtool.Stdout + promtool.Stderr);
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        _http.Dispose();
        _dir.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"^label_values\((.*),\s*\w+\)$")]
    private static partial Regex LabelValues();
}
