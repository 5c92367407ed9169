using System.CommandLine;
using System.Net;
using System.Text.RegularExpressions;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Contracts.Hosting;
using K8sWsProxy.Operator.Injection;

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

    /// <summary>Open connections the TLS listener (channel and webhook) accepts; more are closed before TLS.</summary>
    public int MaxChannelConnections { get; init; } = 4096;

    /// <summary>How long a TLS-listener connection may take to finish its handshake and send a request (and stay idle between requests).</summary>
    public TimeSpan PreAuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The sidecar the admission webhook (POST /mutate-pods) injects; off unless an image is given.</summary>
    public SidecarInjection Injection { get; init; } = new();

    private const string Synopsis = """
        k8s-ws-proxy-operator --tls-cert FILE --tls-key FILE [options]
        Every option may also be given as an environment variable, OPERATOR_ and the option's name in capitals
        with '_' for '-' (OPERATOR_TLS_CERT); the command line wins.
        """;

    public static string Usage => ProgramOptions.Usage(Declare(_ => null).Command, Synopsis);

    public static (OperatorOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var flags = Declare(environment);
        var (result, errors) = ProgramOptions.Parse(flags.Command, args);
        var defaults = new OperatorOptions { Identity = Environment.MachineName };
        var options = defaults with
        {
            Kubeconfig = result.ValueOf(flags.Kubeconfig),
            Namespaces = result.ValueOf(flags.Namespaces) ?? defaults.Namespaces,
            Listen = result.ValueOf(flags.Listen) ?? defaults.Listen,
            HealthListen = result.ValueOf(flags.HealthListen) ?? defaults.HealthListen,
            TlsCertificateFile = result.ValueOf(flags.TlsCert) ?? "",
            TlsKeyFile = result.ValueOf(flags.TlsKey) ?? "",
            SidecarSelector = result.ValueOf(flags.SidecarSelector) ?? defaults.SidecarSelector,
            Identity = result.ValueOf(flags.Identity) ?? defaults.Identity,
            LeaderElectionNamespace = result.ValueOf(flags.LeaderElectionNamespace) ?? defaults.LeaderElectionNamespace,
            LeaderElectionName = result.ValueOf(flags.LeaderElectionName) ?? defaults.LeaderElectionName,
            LeaseDuration = result.ValueOf(flags.LeaseDuration) ?? defaults.LeaseDuration,
            RenewDeadline = result.ValueOf(flags.RenewDeadline) ?? defaults.RenewDeadline,
            RetryPeriod = result.ValueOf(flags.RetryPeriod) ?? defaults.RetryPeriod,
            Resync = result.ValueOf(flags.Resync) ?? defaults.Resync,
            Workers = result.ValueOf(flags.Workers) ?? defaults.Workers,
            MaxChannelConnections = result.ValueOf(flags.MaxChannelConnections) ?? defaults.MaxChannelConnections,
            PreAuthTimeout = result.ValueOf(flags.PreAuthTimeout) ?? defaults.PreAuthTimeout,
            Injection = defaults.Injection with
            {
                Image = result.ValueOf(flags.InjectImage) ?? "",
                OperatorUrl = result.ValueOf(flags.InjectOperatorUrl) ?? "",
                CaConfigMap = result.ValueOf(flags.InjectCaConfigMap) ?? defaults.Injection.CaConfigMap,
                NativeSidecars = result.ValueOf(flags.NativeSidecars) switch { "true" => true, "false" => false, _ => null },
            },
        };

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

        if (options.Injection.Enabled)
        {
            if (options.Injection.OperatorUrl.Length == 0)
            {
                errors.Add("--inject-operator-url: required with --inject-image (the channel URL injected sidecars dial)");
            }

            // Injected pods must fall under the selector, or the operator would never push them a document.
            if (SelectorLabels(options.SidecarSelector) is { } labels)
            {
                options = options with { Injection = options.Injection with { SidecarLabels = labels } };
            }
            else
            {
                errors.Add("--sidecar-selector: with --inject-image it must be key=value terms only (the labels written onto injected pods)");
            }
        }

        return errors.Count == 0 ? (options, []) : (null, errors);
    }

    /// <summary>The labels an equality-only selector ("a=b,c==d") requires; null for any other kind of term.</summary>
    private static Dictionary<string, string>? SelectorLabels(string selector)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var term in selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (EqualityTerm().Match(term) is not { Success: true } match)
            {
                return null;
            }

            labels[match.Groups["key"].Value] = match.Groups["value"].Value;
        }

        return labels;
    }

    /// <summary>Every option once: its flag, the value's name, its help, how it is read and which variables stand in for it.</summary>
    private static Flags Declare(Func<string, string?> environment)
    {
        // OPERATOR_ and the flag's name, then the conventional variable if there is one (a Deployment's downward API sets the POD_ ones).
        Func<string?> From(string name, string? conventional = null) =>
            () => environment("OPERATOR_" + name[2..].ToUpperInvariant().Replace('-', '_')) is { Length: > 0 } value ? value
                : conventional is null ? null : environment(conventional);

        Option<string?> Text(string name, string valueName, string description, string? conventional = null) =>
            ProgramOptions.Text(name, valueName, description, From(name, conventional));

        Option<IPEndPoint?> EndPoint(string name, string description) =>
            ProgramOptions.Declare<IPEndPoint?>(name, "ADDR:PORT", description, null, text =>
                IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':') ? (endpoint, null) : (null, $"'{text}' is not ADDRESS:PORT (e.g. 0.0.0.0:9443)"), From(name));

        Option<TimeSpan?> Positive(string name, string description) =>
            ProgramOptions.Declare<TimeSpan?>(name, "DUR", description, null, text =>
                Duration.TryParse(text, out var duration) && duration > TimeSpan.Zero ? (duration, null) : (null, $"'{text}' is not a positive duration (e.g. 15s, 500ms, 5m)"), From(name));

        var flags = new Flags(
            Text("--kubeconfig", "FILE", "(also KUBECONFIG) default: in-cluster service account", "KUBECONFIG"),
            ProgramOptions.Declare<IReadOnlyList<string>?>("--namespaces", "NS[,NS...]", "namespaces to watch (default: all)", null, text =>
            {
                var namespaces = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                return namespaces.FirstOrDefault(n => !Dns1123Label().IsMatch(n)) is { } bad
                    ? (null, $"'{bad}' is not a namespace name (lowercase letters, digits and '-', at most 63)")
                    : ([.. namespaces.Distinct(StringComparer.Ordinal)], null);
            }, From("--namespaces")),
            EndPoint("--listen", "config channel, TLS (default 0.0.0.0:9443)"),
            EndPoint("--health-listen", "/healthz and /readyz (default 0.0.0.0:8081)"),
            Text("--tls-cert", "FILE", "the channel's serving certificate (PEM)"),
            Text("--tls-key", "FILE", "the channel's serving key (PEM)"),
            Text("--sidecar-selector", "SELECTOR", "pods that carry a sidecar (default k8swsproxy.io/sidecar=true)"),
            Text("--identity", "NAME", "leader-election identity (also POD_NAME; default host name)", "POD_NAME"),
            ProgramOptions.Declare<string?>("--leader-election-namespace", "NS", "(also POD_NAMESPACE; default \"default\")", null, text =>
                Dns1123Label().IsMatch(text) ? (text, null) : (null, $"'{text}' is not a namespace name"), From("--leader-election-namespace", "POD_NAMESPACE")),
            Text("--leader-election-name", "NAME", "the Lease (default k8s-ws-proxy-operator)"),
            Positive("--lease-duration", "(default 15s)"),
            Positive("--renew-deadline", "(default 10s)"),
            Positive("--retry-period", "(default 2s)"),
            Positive("--resync", "full recompute and status check (default 5m)"),
            ProgramOptions.Declare<int?>("--workers", "N", "reconcile workers (default 4)", null, text =>
                int.TryParse(text, out var workers) && workers is > 0 and <= 64 ? (workers, null) : (null, $"'{text}' is not a number from 1 to 64"), From("--workers")),
            ProgramOptions.Declare<int?>("--max-channel-connections", "N", "open connections the TLS listener accepts, sidecars and webhook calls (default 4096)", null, text =>
                int.TryParse(text, out var cap) && cap is > 0 and <= 1_000_000 ? (cap, null) : (null, $"'{text}' is not a number from 1 to 1000000"), From("--max-channel-connections")),
            Positive("--pre-auth-timeout", "TLS handshake, first request and idle time allowed on the TLS listener (default 10s)"),
            Text("--inject-image", "IMAGE", "sidecar image the admission webhook injects (default: none, injection off)"),
            ProgramOptions.Declare<string?>("--inject-operator-url", "URL", "the config channel injected sidecars dial (wss://HOST:PORT/v1/channel)", null, text =>
                Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == "wss"
                    ? (text, null)
                    : (null, $"'{text}' is not a wss:// URL (e.g. wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel)"), From("--inject-operator-url")),
            ProgramOptions.Declare<string?>("--inject-ca-configmap", "NAME", "ConfigMap (key ca.crt) in the pod's namespace with the channel's CA (default k8s-ws-proxy-ca)", null, text =>
                text.Length <= 253 && Dns1123Subdomain().IsMatch(text) ? (text, null) : (null, $"'{text}' is not a ConfigMap name"), From("--inject-ca-configmap")),
            ProgramOptions.Declare<string?>("--native-sidecars", "auto|true|false", "inject as a restartable init container (default auto: Kubernetes >= 1.29)", null, text =>
                text is "auto" or "true" or "false" ? (text, null) : (null, $"'{text}' must be auto, true or false"), From("--native-sidecars")));
        return flags;
    }

    private sealed record Flags(
        Option<string?> Kubeconfig,
        Option<IReadOnlyList<string>?> Namespaces,
        Option<IPEndPoint?> Listen,
        Option<IPEndPoint?> HealthListen,
        Option<string?> TlsCert,
        Option<string?> TlsKey,
        Option<string?> SidecarSelector,
        Option<string?> Identity,
        Option<string?> LeaderElectionNamespace,
        Option<string?> LeaderElectionName,
        Option<TimeSpan?> LeaseDuration,
        Option<TimeSpan?> RenewDeadline,
        Option<TimeSpan?> RetryPeriod,
        Option<TimeSpan?> Resync,
        Option<int?> Workers,
        Option<int?> MaxChannelConnections,
        Option<TimeSpan?> PreAuthTimeout,
        Option<string?> InjectImage,
        Option<string?> InjectOperatorUrl,
        Option<string?> InjectCaConfigMap,
        Option<string?> NativeSidecars)
    {
        public RootCommand Command { get; } = ProgramOptions.Command(
            Kubeconfig, Namespaces, Listen, HealthListen, TlsCert, TlsKey, SidecarSelector, Identity, LeaderElectionNamespace,
            LeaderElectionName, LeaseDuration, RenewDeadline, RetryPeriod, Resync, Workers, MaxChannelConnections, PreAuthTimeout, InjectImage, InjectOperatorUrl,
            InjectCaConfigMap, NativeSidecars);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s*==?\s*(?<value>[-A-Za-z0-9_.]*)$")]
    private static partial Regex EqualityTerm();
}
