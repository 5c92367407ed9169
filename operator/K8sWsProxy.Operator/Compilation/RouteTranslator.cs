using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Operator.Routes;
using WebSocketOptions = K8sWsProxy.Contracts.Config.WebSocketOptions;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>A route as a sidecar would serve it, or why it cannot be served.</summary>
internal sealed record TranslatedRoute(RouteConfig? Config, Acceptance Acceptance);

/// <summary>
/// Turns one <see cref="WebSocketRoute"/> into the <see cref="RouteConfig"/> a sidecar document holds: Secrets
/// resolved into PEM, then the sidecar's own validator run on it, so the operator refuses exactly what a sidecar
/// would refuse, and says so on the route's fields rather than the document's.
/// </summary>
internal static class RouteTranslator
{
    private const string TlsField = "spec.tls.secretName";
    private const string CaField = "spec.upstream.tls.caSecretName";
    private const string ClientCertField = "spec.upstream.tls.clientCertSecretName";

    /// <summary>Validator paths of the PEM fields, and the route field that named their Secret.</summary>
    private static readonly Dictionary<string, string> PemFields = new(StringComparer.Ordinal)
    {
        ["routes[0].tls"] = TlsField,
        ["routes[0].tls.certificatePem"] = TlsField,
        ["routes[0].upstream.tls.caPem"] = CaField,
        ["routes[0].upstream.tls.clientCertificatePem"] = ClientCertField,
    };

    public static TranslatedRoute Translate(WebSocketRoute route, SecretLookup secrets)
    {
        var spec = route.Spec ?? new WebSocketRouteSpec();
        var problems = LabelSelectors.Validate(spec.Selector, "spec.selector")
            .Select(e => new RouteProblem(RouteReasons.InvalidSpec, e.Path, e.Message))
            .ToList();
        var config = ToConfig(route, spec, secrets, problems);
        foreach (var error in SidecarConfigValidator.Validate(new SidecarConfigDocument { Routes = [config] }))
        {
            if (ToProblem(error, route, spec, problems) is { } problem)
            {
                problems.Add(problem);
            }
        }

        return problems.Count == 0
            ? new TranslatedRoute(config, Acceptance.Ok)
            : new TranslatedRoute(null, new Acceptance(false, WorstReason(problems), string.Join("; ", problems)));
    }

    private static RouteConfig ToConfig(WebSocketRoute route, WebSocketRouteSpec spec, SecretLookup secrets, List<RouteProblem> problems)
    {
        var ns = route.Namespace;
        DownstreamTlsConfig? tls = null;
        if (spec.Tls is { } t)
        {
            var pem = secrets.Read(ns, t.SecretName, TlsField, problems, "tls.crt", "tls.key");
            tls = new DownstreamTlsConfig { CertificatePem = pem[0], PrivateKeyPem = pem[1] };
        }

        var upstream = spec.Upstream ?? new RouteUpstream();
        UpstreamTlsConfig? upstreamTls = null;
        if (upstream.Tls is { } u)
        {
            var ca = u.CaSecretName is null ? [null] : secrets.Read(ns, u.CaSecretName, CaField, problems, "ca.crt");
            var client = u.ClientCertSecretName is null ? [null, null] : secrets.Read(ns, u.ClientCertSecretName, ClientCertField, problems, "tls.crt", "tls.key");
            upstreamTls = new UpstreamTlsConfig
            {
                CaPem = ca[0],
                ClientCertificatePem = client[0],
                ClientKeyPem = client[1],
                ServerName = u.ServerName,
                InsecureSkipVerify = u.InsecureSkipVerify,
            };
        }

        return new RouteConfig
        {
            Name = route.Metadata.Name ?? "",
            Namespace = ns,
            Match = spec.Match ?? new RouteMatch(),
            Tls = tls,
            Upstream = new UpstreamConfig
            {
                Endpoints = upstream.Endpoints ?? [],
                LoadBalancing = upstream.LoadBalancing,
                SessionAffinity = upstream.SessionAffinity,
                Tls = upstreamTls,
                Retry = upstream.Retry ?? new RetryConfig(),
                OnLost = upstream.OnLost,
                Failover = upstream.Failover,
            },
            WebSocket = spec.WebSocket ?? new WebSocketOptions(),
            Headers = spec.Headers ?? new HeadersConfig(),
            Timeouts = spec.Timeouts ?? new TimeoutsConfig(),
            Limits = spec.Limits ?? new LimitsConfig(),
            Messages = spec.Messages,
        };
    }

    /// <summary>
    /// A validator error on the route's fields. Errors on PEM fields become certificate problems of the Secret; null
    /// when that Secret already has a problem (missing, or lacking the key): the same problem seen twice.
    /// </summary>
    private static RouteProblem? ToProblem(ConfigError error, WebSocketRoute route, WebSocketRouteSpec spec, List<RouteProblem> earlier)
    {
        if (PemFields.TryGetValue(error.Path, out var field))
        {
            if (earlier.Any(p => p.Field == field))
            {
                return null;
            }

            var secret = field switch
            {
                TlsField => spec.Tls?.SecretName,
                CaField => spec.Upstream?.Tls?.CaSecretName,
                _ => spec.Upstream?.Tls?.ClientCertSecretName,
            };
            return new RouteProblem(RouteReasons.InvalidCertificate, field, $"Secret {route.Namespace}/{secret}: {error.Message}");
        }

        var path = error.Path switch
        {
            "routes[0].name" => "metadata.name",
            "routes[0].namespace" => "metadata.namespace",
            _ => "spec" + error.Path["routes[0]".Length..],
        };
        return new RouteProblem(RouteReasons.InvalidSpec, path, error.Message);
    }

    /// <summary>The reason the user should look at first: their own spec, then a missing Secret, then its content.</summary>
    private static string WorstReason(List<RouteProblem> problems) =>
        new[] { RouteReasons.InvalidSpec, RouteReasons.SecretNotFound }.FirstOrDefault(r => problems.Any(p => p.Reason == r))
        ?? RouteReasons.InvalidCertificate;
}
