using System.CommandLine;
using System.Net;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Contracts.Hosting;

namespace K8sWsProxy.Sidecar.Hosting;

/// <summary>What the sidecar is started with: where it listens and where its document comes from.</summary>
public sealed record SidecarOptions
{
    /// <summary>The standalone document (YAML or JSON); reloaded when it changes.</summary>
    public string? ConfigFile { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 8080);

    /// <summary>TLS listener; the certificate is chosen per handshake (SNI) from the routes' TLS settings. Null (the default): none.</summary>
    public IPEndPoint? ListenTls { get; init; }

    /// <summary>/healthz, /readyz, /v1/config (and /metrics), on a port of their own.</summary>
    /// <summary>Loopback unless asked: it tells routes, endpoint URLs and certificate subjects to whoever reaches it.</summary>
    public IPEndPoint Admin { get; init; } = new(IPAddress.Loopback, 9901);

    /// <summary>Where the last accepted document is kept, to serve at once after a restart. Null: not kept.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// Off only to price the tunnel in benchmarks: bytes are copied untouched, so message limits, keep-alive,
    /// idle close, 1014/1001 injection and message metrics are all off too.
    /// </summary>
    public bool FrameTracking { get; init; } = true;

    /// <summary>Operator mode: the operator's config channel (wss://…/v1/channel). Null: no operator.</summary>
    public Uri? OperatorUrl { get; init; }

    /// <summary>The projected service-account token (audience k8s-ws-proxy) presented to the operator; re-read on every dial.</summary>
    public string TokenFile { get; init; } = SidecarDefaults.TokenFile;

    /// <summary>PEM CA bundle the operator's certificate must chain to. Null: the system store.</summary>
    public string? OperatorCaFile { get; init; }

    /// <summary>Longest a SIGTERM waits for WebSockets to finish their close handshakes.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = SidecarDefaults.ShutdownTimeout;

    private static readonly Option<string?> Config = ProgramOptions.Text("--config", "FILE", "the sidecar config document (YAML or JSON), reloaded when it changes");

    private static readonly Option<string?> StateDir = ProgramOptions.Text("--state-dir", "DIR", "keep the last accepted document here; serve it at start when no --config");

    private static readonly Option<Uri?> Operator = ProgramOptions.Declare<Uri?>(
        "--operator", "URL", "get documents from the operator's config channel (wss://HOST:PORT/v1/channel)", null,
        text => Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == "wss"
            ? (url, null)
            : (null, $"'{text}' is not a wss:// URL (e.g. wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel)"));

    private static readonly Option<string?> TokenFileOption = ProgramOptions.Text("--token-file", "FILE", $"service-account token for the operator (default {SidecarDefaults.TokenFile})");

    private static readonly Option<string?> OperatorCa = ProgramOptions.Declare<string?>(
        "--operator-ca", "FILE", "PEM CA bundle the operator's certificate must chain to (default: system store)", null,
        text => File.Exists(text) ? (text, null) : (null, $"{text} does not exist"));

    private static readonly Option<IPEndPoint?> ListenOption = EndPoint("--listen", "plain listener (default 0.0.0.0:8080)");

    // Text: a parsed value may not be null, and "off" is none.
    private static readonly Option<string?> ListenTlsOption = ProgramOptions.Declare<string?>(
        "--listen-tls", "ADDR:PORT", "TLS listener (default: none; \"off\" says so explicitly)", null,
        text => text == "off" || ReadEndPoint(text).Problem is null ? (text, null) : (null, ReadEndPoint(text).Problem));

    private static readonly Option<IPEndPoint?> AdminOption = EndPoint("--admin", "health, config and metrics, unauthenticated (default 127.0.0.1:9901; a pod IP or 0.0.0.0 for probes and Prometheus)");

    private static readonly Option<TimeSpan?> ShutdownTimeoutOption = ProgramOptions.Declare<TimeSpan?>(
        "--shutdown-timeout", "DUR", "how long SIGTERM waits for close handshakes (default 30s)", null,
        text => Duration.TryParse(text, out var timeout) ? (timeout, null) : (null, $"'{text}' is not a duration (e.g. 30s)"));

    // Text, not bool: System.CommandLine reads a bool option's value only when it looks like one.
    private static readonly Option<string?> FrameTrackingOption = ProgramOptions.Declare<string?>(
        "--frame-tracking", "on|off", "off only for benchmarks: no message limits, keep-alive, idle close or message metrics", null,
        text => text is "on" or "off" ? (text, null) : (null, $"'{text}' must be on or off"));

    private static readonly RootCommand Command = ProgramOptions.Command(
        Config, StateDir, Operator, TokenFileOption, OperatorCa, ListenOption, ListenTlsOption, AdminOption, ShutdownTimeoutOption, FrameTrackingOption);

    public static string Usage => ProgramOptions.Usage(Command, "k8s-ws-proxy-sidecar (--config FILE | --operator URL | --state-dir DIR) [options]");

    /// <summary>Parses the command line; every problem is listed, with the option it concerns.</summary>
    public static (SidecarOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var (result, errors) = ProgramOptions.Parse(Command, args);
        var defaults = new SidecarOptions();
        var options = defaults with
        {
            ConfigFile = result.ValueOf(Config),
            StateDirectory = result.ValueOf(StateDir),
            OperatorUrl = result.ValueOf(Operator),
            TokenFile = result.ValueOf(TokenFileOption) ?? defaults.TokenFile,
            OperatorCaFile = result.ValueOf(OperatorCa),
            Listen = result.ValueOf(ListenOption) ?? defaults.Listen,
            ListenTls = result.ValueOf(ListenTlsOption) is { } tls and not "off" ? ReadEndPoint(tls).Value : null,
            Admin = result.ValueOf(AdminOption) ?? defaults.Admin,
            ShutdownTimeout = result.ValueOf(ShutdownTimeoutOption) ?? defaults.ShutdownTimeout,
            FrameTracking = result.ValueOf(FrameTrackingOption) is not "off",
        };

        if (options.ConfigFile is null && options.StateDirectory is null && options.OperatorUrl is null && errors.Count == 0)
        {
            errors.Add("--config, --operator or --state-dir: one is required");
        }

        if (options is { ConfigFile: not null, OperatorUrl: not null })
        {
            errors.Add("--config and --operator: one source of documents, not both");
        }

        return errors.Count == 0 ? (options, []) : (null, errors);
    }

    private static Option<IPEndPoint?> EndPoint(string name, string description) =>
        ProgramOptions.Declare<IPEndPoint?>(name, "ADDR:PORT", description, null, ReadEndPoint);

    private static (IPEndPoint? Value, string? Problem) ReadEndPoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':') ? (endpoint, null) : (null, $"'{text}' is not ADDRESS:PORT (e.g. 127.0.0.1:8080)");
}
