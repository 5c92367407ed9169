using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>A sidecar in the test process on free loopback ports, configured from YAML.</summary>
public sealed class TestSidecar : IAsyncDisposable
{
    private TestSidecar(SidecarHost host, LogCapture logs)
    {
        Host = host;
        Logs = logs;
    }

    public SidecarHost Host { get; }

    public LogCapture Logs { get; }

    public Uri Ws(string path) => new($"ws://127.0.0.1:{Host.PlainUrl.Port}{path}");

    public Uri Wss(string path) => new($"wss://127.0.0.1:{Host.TlsUrl!.Port}{path}");

    public static SidecarConfigDocument Parse(string yaml)
    {
        var loaded = ConfigDocumentLoader.Parse(yaml, null);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        return loaded.Document!;
    }

    /// <summary>Each route of the document built as the sidecar builds it, without a sidecar around it.</summary>
    internal static IReadOnlyList<RouteRuntime> Runtimes(string yaml)
    {
        var metrics = new SidecarMetrics();
        return [.. Parse(yaml).Routes.Select(r => new RouteRuntime(r, metrics, CertificateCache.Empty, NullLogger.Instance))];
    }

    /// <summary>The document as written, not validated: for feeding invalid documents to the apply entry point.</summary>
    public static SidecarConfigDocument ParseUnvalidated(string yaml) =>
        System.Text.Json.JsonSerializer.Deserialize<SidecarConfigDocument>(YamlToJson.Convert(yaml), ConfigJson.Options)!;

    public static async Task<TestSidecar> StartAsync(string yaml, TimeSpan? shutdownTimeout = null, string? configFile = null, bool frameTracking = true)
    {
        var options = new SidecarOptions
        {
            FrameTracking = frameTracking,
            ConfigFile = configFile,
            Listen = Ports.Any,
            ListenTls = Ports.Any,
            Admin = Ports.Any,
            ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(5),
        };
        var logs = new LogCapture();
        var host = await SidecarHost.StartAsync(options, Parse(yaml), logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
        });
        return new TestSidecar(host, logs);
    }

    public Task<Configuration.ApplyResult> ApplyAsync(string yaml) => Host.ApplyAsync(Parse(yaml));

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
