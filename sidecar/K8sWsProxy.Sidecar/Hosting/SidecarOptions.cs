using System.Net;
using K8sWsProxy.Contracts.Config;

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
    public IPEndPoint Admin { get; init; } = new(IPAddress.Any, 9901);

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
    public string TokenFile { get; init; } = "/var/run/secrets/k8s-ws-proxy/token";

    /// <summary>PEM CA bundle the operator's certificate must chain to. Null: the system store.</summary>
    public string? OperatorCaFile { get; init; }

    /// <summary>Longest a SIGTERM waits for WebSockets to finish their close handshakes.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public const string Usage = """
        usage: k8s-ws-proxy-sidecar (--config FILE | --operator URL | --state-dir DIR) [options]
          --config FILE             the sidecar config document (YAML or JSON), reloaded when it changes
          --state-dir DIR           keep the last accepted document here; serve it at start when no --config
          --operator URL            get documents from the operator's config channel (wss://HOST:PORT/v1/channel)
          --token-file FILE         service-account token for the operator (default /var/run/secrets/k8s-ws-proxy/token)
          --operator-ca FILE        PEM CA bundle the operator's certificate must chain to (default: system store)
          --listen ADDR:PORT        plain listener (default 0.0.0.0:8080)
          --listen-tls ADDR:PORT    TLS listener (default: none; "off" says so explicitly)
          --admin ADDR:PORT         health, config and metrics (default 0.0.0.0:9901)
          --shutdown-timeout DUR    how long SIGTERM waits for close handshakes (default 30s)
          --frame-tracking on|off   off only for benchmarks: no message limits, keep-alive, idle close or message metrics
        """;

    /// <summary>Parses the command line; every problem is listed, with the option it concerns.</summary>
    public static (SidecarOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var options = new SidecarOptions();
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                errors.Add($"{name}: missing value");
                break;
            }

            var value = args[++i];
            switch (name)
            {
                case "--config":
                    options = options with { ConfigFile = value };
                    break;
                case "--state-dir":
                    options = options with { StateDirectory = value };
                    break;
                case "--operator" when Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme == "wss":
                    options = options with { OperatorUrl = url };
                    break;
                case "--operator":
                    errors.Add($"{name}: '{value}' is not a wss:// URL (e.g. wss://k8s-ws-proxy-operator.system.svc:9443/v1/channel)");
                    break;
                case "--token-file":
                    options = options with { TokenFile = value };
                    break;
                case "--operator-ca" when File.Exists(value):
                    options = options with { OperatorCaFile = value };
                    break;
                case "--operator-ca":
                    errors.Add($"{name}: {value} does not exist");
                    break;
                case "--listen":
                    options = options with { Listen = EndPoint(name, value, errors) ?? options.Listen };
                    break;
                case "--listen-tls":
                    options = options with { ListenTls = value == "off" ? null : EndPoint(name, value, errors) };
                    break;
                case "--admin":
                    options = options with { Admin = EndPoint(name, value, errors) ?? options.Admin };
                    break;
                case "--frame-tracking":
                    if (value is "on" or "off")
                    {
                        options = options with { FrameTracking = value == "on" };
                    }
                    else
                    {
                        errors.Add($"{name}: '{value}' must be on or off");
                    }

                    break;
                case "--shutdown-timeout":
                    if (Duration.TryParse(value, out var timeout))
                    {
                        options = options with { ShutdownTimeout = timeout };
                    }
                    else
                    {
                        errors.Add($"{name}: '{value}' is not a duration (e.g. 30s)");
                    }

                    break;
                default:
                    errors.Add($"{name}: unknown option");
                    break;
            }
        }

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

    private static IPEndPoint? EndPoint(string name, string value, List<string> errors)
    {
        if (IPEndPoint.TryParse(value, out var endpoint) && value.Contains(':'))
        {
            return endpoint;
        }

        errors.Add($"{name}: '{value}' is not ADDRESS:PORT (e.g. 127.0.0.1:8080)");
        return null;
    }
}
