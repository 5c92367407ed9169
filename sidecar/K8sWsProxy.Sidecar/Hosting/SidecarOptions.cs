using System.Net;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Hosting;

/// <summary>What the sidecar is started with: where it listens and where its document comes from.</summary>
public sealed record SidecarOptions
{
    /// <summary>The standalone document (YAML or JSON); reloaded when it changes.</summary>
    public string? ConfigFile { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 8080);

    /// <summary>TLS listener; the certificate is chosen per handshake (SNI) from the routes' TLS settings. Null: none.</summary>
    public IPEndPoint? ListenTls { get; init; } = new(IPAddress.Any, 8443);

    /// <summary>/healthz, /readyz, /v1/config (and /metrics), on a port of their own.</summary>
    public IPEndPoint Admin { get; init; } = new(IPAddress.Any, 9901);

    /// <summary>Where the last accepted document is kept, to serve at once after a restart. Null: not kept.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Longest a SIGTERM waits for WebSockets to finish their close handshakes.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public const string Usage = """
        usage: k8s-ws-proxy-sidecar (--config FILE | --state-dir DIR) [options]
          --config FILE             the sidecar config document (YAML or JSON), reloaded when it changes
          --state-dir DIR           keep the last accepted document here; serve it at start when no --config
          --listen ADDR:PORT        plain listener (default 0.0.0.0:8080)
          --listen-tls ADDR:PORT    TLS listener, "off" for none (default 0.0.0.0:8443)
          --admin ADDR:PORT         health, config and metrics (default 0.0.0.0:9901)
          --shutdown-timeout DUR    how long SIGTERM waits for close handshakes (default 30s)
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
                case "--listen":
                    options = options with { Listen = EndPoint(name, value, errors) ?? options.Listen };
                    break;
                case "--listen-tls":
                    options = options with { ListenTls = value == "off" ? null : EndPoint(name, value, errors) };
                    break;
                case "--admin":
                    options = options with { Admin = EndPoint(name, value, errors) ?? options.Admin };
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

        if (options.ConfigFile is null && options.StateDirectory is null && errors.Count == 0)
        {
            errors.Add("--config or --state-dir: one is required");
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
