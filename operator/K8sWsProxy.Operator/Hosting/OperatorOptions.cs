using System.Net;
using System.Text.RegularExpressions;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Hosting;

/// <summary>
/// What the operator is started with. Every option is a flag and an environment variable (the flag wins), so a
/// Deployment can set them either way; every bad value is reported with the option it concerns.
/// </summary>
public sealed partial record OperatorOptions
{
    /// <summary>Null: in-cluster (the pod's service account).</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Empty: every namespace.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>The config channel (TLS, WebSocket at /v1/channel).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 9443);

    /// <summary>/healthz and /readyz, plain HTTP.</summary>
    public IPEndPoint HealthListen { get; init; } = new(IPAddress.Any, 8081);

    public string TlsCertificateFile { get; init; } = "";

    public string TlsKeyFile { get; init; } = "";

    /// <summary>Which pods carry a sidecar: a label selector.</summary>
    public string SidecarSelector { get; init; } = "k8swsproxy.io/sidecar=true";

    public string Identity { get; init; } = "";

    public string LeaderElectionNamespace { get; init; } = "default";

    public string LeaderElectionName { get; init; } = "k8s-ws-proxy-operator";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often everything is recompiled and every status rechecked, whatever the watches said.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromMinutes(5);

    public int Workers { get; init; } = 4;

    public const string Usage = """
        usage: k8s-ws-proxy-operator --tls-cert FILE --tls-key FILE [options]
        Every option may also be given as an environment variable, OPERATOR_ and the option's name in capitals
        with '_' for '-' (OPERATOR_TLS_CERT); the command line wins.
          --kubeconfig FILE                 (also KUBECONFIG) default: in-cluster service account
          --namespaces NS[,NS...]           namespaces to watch (default: all)
          --listen ADDR:PORT                config channel, TLS (default 0.0.0.0:9443)
          --health-listen ADDR:PORT         /healthz and /readyz (default 0.0.0.0:8081)
          --tls-cert FILE, --tls-key FILE   the channel's serving certificate and key (PEM)
          --sidecar-selector SELECTOR       pods that carry a sidecar (default k8swsproxy.io/sidecar=true)
          --identity NAME                   leader-election identity (also POD_NAME; default host name)
          --leader-election-namespace NS    (also POD_NAMESPACE; default "default")
          --leader-election-name NAME       the Lease (default k8s-ws-proxy-operator)
          --lease-duration DUR              (default 15s)
          --renew-deadline DUR              (default 10s)
          --retry-period DUR                (default 2s)
          --resync DUR                      full recompute and status check (default 5m)
          --workers N                       reconcile workers (default 4)
        """;

    private static readonly string[] Names =
    [
        "kubeconfig", "namespaces", "listen", "health-listen", "tls-cert", "tls-key", "sidecar-selector", "identity",
        "leader-election-namespace", "leader-election-name", "lease-duration", "renew-deadline", "retry-period", "resync", "workers",
    ];

    /// <summary>Conventional variables honoured too (a Deployment's downward API sets the POD_ ones).</summary>
    private static readonly Dictionary<string, string> Conventional = new(StringComparer.Ordinal)
    {
        ["kubeconfig"] = "KUBECONFIG",
        ["identity"] = "POD_NAME",
        ["leader-election-namespace"] = "POD_NAMESPACE",
    };

    public static (OperatorOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var errors = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var value = environment("OPERATOR_" + name.ToUpperInvariant().Replace('-', '_'))
                ?? (Conventional.TryGetValue(name, out var conventional) ? environment(conventional) : null);
            if (!string.IsNullOrEmpty(value))
            {
                values[name] = value;
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : "";
            if (!Names.Contains(name))
            {
                errors.Add($"{arg}: unknown option");
                continue;
            }

            if (i + 1 >= args.Count)
            {
                errors.Add($"{arg}: missing value");
                break;
            }

            values[name] = args[++i];
        }

        var options = new OperatorOptions { Identity = Environment.MachineName };
        foreach (var (name, value) in values)
        {
            options = Apply(options, name, value, errors);
        }

        if (options.TlsCertificateFile.Length == 0 || options.TlsKeyFile.Length == 0)
        {
            errors.Add("--tls-cert and --tls-key: both are required (the config channel is TLS only)");
        }

        foreach (var (option, file) in new[] { ("--tls-cert", options.TlsCertificateFile), ("--tls-key", options.TlsKeyFile), ("--kubeconfig", options.Kubeconfig ?? "") })
        {
            if (file.Length > 0 && !File.Exists(file))
            {
                errors.Add($"{option}: {file} does not exist");
            }
        }

        if (options.RenewDeadline >= options.LeaseDuration)
        {
            errors.Add("--renew-deadline: must be shorter than --lease-duration");
        }

        if (options.RetryPeriod >= options.RenewDeadline)
        {
            errors.Add("--retry-period: must be shorter than --renew-deadline");
        }

        return errors.Count == 0 ? (options, []) : (null, errors);
    }

    private static OperatorOptions Apply(OperatorOptions options, string name, string value, List<string> errors)
    {
        var option = "--" + name;
        switch (name)
        {
            case "kubeconfig":
                return options with { Kubeconfig = value };
            case "namespaces":
                var namespaces = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                foreach (var bad in namespaces.Where(n => !Dns1123Label().IsMatch(n)))
                {
                    errors.Add($"{option}: '{bad}' is not a namespace name (lowercase letters, digits and '-', at most 63)");
                }

                return options with { Namespaces = [.. namespaces.Distinct(StringComparer.Ordinal)] };
            case "listen":
                return options with { Listen = EndPoint(option, value, errors) ?? options.Listen };
            case "health-listen":
                return options with { HealthListen = EndPoint(option, value, errors) ?? options.HealthListen };
            case "tls-cert":
                return options with { TlsCertificateFile = value };
            case "tls-key":
                return options with { TlsKeyFile = value };
            case "sidecar-selector":
                return options with { SidecarSelector = value };
            case "identity":
                return options with { Identity = value };
            case "leader-election-namespace":
                if (!Dns1123Label().IsMatch(value))
                {
                    errors.Add($"{option}: '{value}' is not a namespace name");
                }

                return options with { LeaderElectionNamespace = value };
            case "leader-election-name":
                return options with { LeaderElectionName = value };
            case "lease-duration":
                return options with { LeaseDuration = Positive(option, value, errors) ?? options.LeaseDuration };
            case "renew-deadline":
                return options with { RenewDeadline = Positive(option, value, errors) ?? options.RenewDeadline };
            case "retry-period":
                return options with { RetryPeriod = Positive(option, value, errors) ?? options.RetryPeriod };
            case "resync":
                return options with { Resync = Positive(option, value, errors) ?? options.Resync };
            case "workers" when int.TryParse(value, out var workers) && workers is > 0 and <= 64:
                return options with { Workers = workers };
            case "workers":
                errors.Add($"{option}: '{value}' is not a number from 1 to 64");
                return options;
            default:
                throw new System.Diagnostics.UnreachableException(name);
        }
    }

    private static TimeSpan? Positive(string option, string value, List<string> errors)
    {
        if (Duration.TryParse(value, out var duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        errors.Add($"{option}: '{value}' is not a positive duration (e.g. 15s, 500ms, 5m)");
        return null;
    }

    private static IPEndPoint? EndPoint(string option, string value, List<string> errors)
    {
        if (IPEndPoint.TryParse(value, out var endpoint) && value.Contains(':'))
        {
            return endpoint;
        }

        errors.Add($"{option}: '{value}' is not ADDRESS:PORT (e.g. 0.0.0.0:9443)");
        return null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Dns1123Label();
}
