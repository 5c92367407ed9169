using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Contracts.Config;

/// <summary>
/// Checks a whole document and names the field of every problem. A document with any error is refused whole,
/// so a sidecar never serves half of one.
/// </summary>
public static partial class SidecarConfigValidator
{
    /// <summary>Regex routes run with this limit so a hostile path cannot pin a core.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>What a failover may hold back per connection: a reconnect must not turn a client into a memory sink.</summary>
    private const int MaxBufferMessages = 10_000;

    private const long MaxBufferBytes = 64 * 1024 * 1024;

    /// <summary>A close frame's reason: 125 payload bytes less the two of the code (RFC 6455 section 5.5).</summary>
    private const int MaxCloseReasonBytes = 123;

    public static IReadOnlyList<ConfigError> Validate(SidecarConfigDocument document)
    {
        var errors = new List<ConfigError>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var matches = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < document.Routes.Count; i++)
        {
            var route = document.Routes[i];
            var path = $"routes[{i}]";
            if (route is null)
            {
                errors.Add(new(path, "must not be null"));
                continue;
            }

            ValidateRoute(route, path, errors);
            if (!names.TryAdd(route.Key, i))
            {
                errors.Add(new($"{path}.name", $"duplicate route '{route.Key}' (also routes[{names[route.Key]}])"));
            }

            foreach (var key in MatchKeys(route.Match))
            {
                if (!matches.TryAdd(key, i) && matches[key] != i)
                {
                    errors.Add(new($"{path}.match", $"duplicate host and path: routes[{matches[key]}] already matches {key}"));
                    break;
                }
            }
        }

        return errors;
    }

    /// <summary>One key per host the route claims: two routes with an equal key would compete for the same requests.</summary>
    public static IEnumerable<string> MatchKeys(RouteMatch match)
    {
        var headers = string.Join(",", match.Headers.Select(h => $"{h.Name.ToLowerInvariant()}={h.Value.ToLowerInvariant()}").Order(StringComparer.Ordinal));
        var hosts = match.Hosts.Count == 0 ? ["*"] : match.Hosts.Select(h => h.ToLowerInvariant());
        return hosts.Select(h => $"{h} {match.PathType} {match.Path} [{headers}]");
    }

    private static void ValidateRoute(RouteConfig route, string path, List<ConfigError> errors)
    {
        if (!DnsLabel().IsMatch(route.Name))
        {
            errors.Add(new($"{path}.name", "must be a lowercase DNS name (a-z, 0-9, '-', '.'), at most 253 characters"));
        }

        if (!DnsLabel().IsMatch(route.Namespace))
        {
            errors.Add(new($"{path}.namespace", "must be a lowercase DNS name"));
        }

        ValidateMatch(route.Match, $"{path}.match", errors);
        if (route.Tls is not null)
        {
            ValidateDownstreamTls(route.Tls, $"{path}.tls", errors);
        }

        ValidateUpstream(route.Upstream, $"{path}.upstream", errors);
        ValidateWebSocket(route.WebSocket, $"{path}.websocket", errors);
        ValidateHeaders(route.Headers, $"{path}.headers", errors);
        ValidateTimeouts(route.Timeouts, $"{path}.timeouts", errors);
        if (route.Limits.MaxConnections < 0)
        {
            errors.Add(new($"{path}.limits.maxConnections", "must be 0 (no limit) or more"));
        }

        if (route.Limits.MessagesPerSecond < 0)
        {
            errors.Add(new($"{path}.limits.messagesPerSecond", "must be 0 (no limit) or more"));
        }

        if (route.Messages is not null)
        {
            ValidateMessages(route.Messages, $"{path}.messages", errors);
        }
    }

    private static void ValidateMatch(RouteMatch match, string path, List<ConfigError> errors)
    {
        for (var i = 0; i < match.Hosts.Count; i++)
        {
            if (!HostPattern().IsMatch(match.Hosts[i] ?? ""))
            {
                errors.Add(new($"{path}.hosts[{i}]", "must be a host name, optionally starting with '*.'"));
            }
        }

        if (match.PathType == PathType.RegularExpression)
        {
            try
            {
                _ = new Regex(match.Path, RegexOptions.CultureInvariant, RegexTimeout);
            }
            catch (ArgumentException e)
            {
                errors.Add(new($"{path}.path", $"not a valid regular expression: {e.Message}"));
            }
        }
        else if (!match.Path.StartsWith('/') || match.Path.Contains('?') || match.Path.Contains('#') || match.Path.Contains("//", StringComparison.Ordinal))
        {
            errors.Add(new($"{path}.path", "must start with '/' and hold no '?', '#' or '//'"));
        }
        else if (match.Path.Contains('{') || match.Path.Contains('}'))
        {
            errors.Add(new($"{path}.path", "'{' and '}' are only allowed with pathType RegularExpression"));
        }

        for (var i = 0; i < match.Headers.Count; i++)
        {
            if (!Token().IsMatch(match.Headers[i]?.Name ?? ""))
            {
                errors.Add(new($"{path}.headers[{i}].name", "must be an HTTP header name"));
            }
        }
    }

    private static void ValidateUpstream(UpstreamConfig upstream, string path, List<ConfigError> errors)
    {
        if (upstream.Endpoints.Count == 0)
        {
            errors.Add(new($"{path}.endpoints", "at least one endpoint is required"));
        }
        else if (upstream.Endpoints.Count > UpstreamConfig.MaxEndpoints)
        {
            errors.Add(new($"{path}.endpoints", $"at most {UpstreamConfig.MaxEndpoints} endpoints, not {upstream.Endpoints.Count}"));
        }

        for (var i = 0; i < upstream.Endpoints.Count; i++)
        {
            var endpoint = upstream.Endpoints[i];
            var ep = $"{path}.endpoints[{i}]";
            if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var uri))
            {
                errors.Add(new($"{ep}.url", "must be an absolute URL"));
            }
            else if (uri.Scheme is not ("ws" or "wss"))
            {
                errors.Add(new($"{ep}.url", "scheme must be ws or wss"));
            }
            else if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                errors.Add(new($"{ep}.url", "must not carry a query, fragment or user info"));
            }

            if (endpoint.Weight is < 1 or > 10_000)
            {
                errors.Add(new($"{ep}.weight", "must be from 1 to 10000"));
            }

            if (endpoint.HttpVersion is not ("1.1" or "2"))
            {
                errors.Add(new($"{ep}.httpVersion", "must be \"1.1\" or \"2\""));
            }
        }

        if (upstream.SessionAffinity is { } affinity)
        {
            if ((affinity.Header is null) == (affinity.Cookie is null))
            {
                errors.Add(new($"{path}.sessionAffinity", "set exactly one of header or cookie"));
            }
            else if (!Token().IsMatch(affinity.Header ?? affinity.Cookie ?? ""))
            {
                errors.Add(new($"{path}.sessionAffinity", "the header or cookie name must be a token"));
            }
        }

        if (upstream.Retry.Attempts is < 1 or > 20)
        {
            errors.Add(new($"{path}.retry.attempts", "must be from 1 to 20"));
        }

        CheckDuration(upstream.Retry.InitialInterval, $"{path}.retry.initialInterval", errors, allowZero: true);
        if (upstream.Retry.Growth is < 1 or > 10 || double.IsNaN(upstream.Retry.Growth))
        {
            errors.Add(new($"{path}.retry.growth", "must be from 1 to 10"));
        }

        if (upstream.Tls is { } tls)
        {
            ValidateUpstreamTls(tls, $"{path}.tls", errors);
        }

        ValidateFailover(upstream, path, errors);
    }

    private static void ValidateFailover(UpstreamConfig upstream, string path, List<ConfigError> errors)
    {
        if (upstream.Failover is not { } failover)
        {
            return;
        }

        for (var i = 0; i < failover.CloseCodes.Count; i++)
        {
            if (failover.CloseCodes[i] is < 1000 or > 4999 or 1005 or 1006 or 1015)
            {
                errors.Add(new($"{path}.failover.closeCodes[{i}]", "must be from 1000 to 4999, and not 1005, 1006 or 1015 (never sent in a close frame)"));
            }
        }

        if (failover.BufferMessages is < 0 or > MaxBufferMessages)
        {
            errors.Add(new($"{path}.failover.bufferMessages", $"must be from 0 to {MaxBufferMessages}"));
        }

        if (failover.BufferBytes is < 0 or > MaxBufferBytes)
        {
            errors.Add(new($"{path}.failover.bufferBytes", $"must be from 0 to {MaxBufferBytes} (64 MiB)"));
        }

        // Settings that would do nothing are refused rather than ignored: most likely onLost was forgotten.
        var defaults = new FailoverConfig();
        var set = new (string Name, bool Set)[]
        {
            ("closeCodes", failover.CloseCodes.Count > 0),
            ("notify", failover.Notify != defaults.Notify),
            ("bufferMessages", failover.BufferMessages != defaults.BufferMessages),
            ("bufferBytes", failover.BufferBytes != defaults.BufferBytes),
            ("onBufferFull", failover.OnBufferFull != defaults.OnBufferFull),
            ("replayFirstMessage", failover.ReplayFirstMessage != defaults.ReplayFirstMessage),
        }.Where(f => f.Set).Select(f => f.Name).DefaultIfEmpty("failover").ToList();
        if (upstream.OnLost != UpstreamLost.Reconnect)
        {
            errors.Add(new($"{path}.failover", $"{string.Join(", ", set)}: only with onLost: Reconnect (with onLost: Close a lost upstream closes the client)"));
        }
    }

    private static void ValidateMessages(MessagesConfig messages, string path, List<ConfigError> errors)
    {
        if (messages.MaxBytes is < 1 or > MessagesConfig.HardMaxBytes)
        {
            errors.Add(new($"{path}.maxBytes", $"must be from 1 to {MessagesConfig.HardMaxBytes}"));
        }

        if (messages.Rules.Count > MessagesConfig.MaxRules)
        {
            errors.Add(new($"{path}.rules", $"at most {MessagesConfig.MaxRules} rules, not {messages.Rules.Count}"));
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Rules.Count; i++)
        {
            var rule = messages.Rules[i];
            var rp = $"{path}.rules[{i}]";
            if (rule is null)
            {
                errors.Add(new(rp, "must not be null"));
                continue;
            }

            if (!Label().IsMatch(rule.Name))
            {
                errors.Add(new($"{rp}.name", "must be a DNS label (a-z, 0-9, '-'), at most 63 characters"));
            }
            else if (!names.TryAdd(rule.Name, i))
            {
                errors.Add(new($"{rp}.name", $"duplicate rule '{rule.Name}' (also rules[{names[rule.Name]}])"));
            }

            ValidateRuleMatch(rule.Match, $"{rp}.match", errors);
            ValidateRuleAction(rule, rp, messages.MaxBytes, errors);
        }
    }

    private static void ValidateRuleMatch(MessageMatchConfig match, string path, List<ConfigError> errors)
    {
        var given = new (string Name, bool Given)[]
        {
            ("exact", match.Exact is not null),
            ("prefix", match.Prefix is not null),
            ("regex", match.Regex is not null),
            ("json", match.Json is not null),
        }.Where(f => f.Given).Select(f => f.Name).ToList();
        if (given.Count != 1)
        {
            errors.Add(new(path, given.Count == 0 ? "set exactly one of exact, prefix, regex or json" : $"set exactly one of exact, prefix, regex or json, not {string.Join(" and ", given)}"));
        }

        if (match.Exact is "")
        {
            errors.Add(new($"{path}.exact", "must not be empty"));
        }

        if (match.Prefix is "")
        {
            errors.Add(new($"{path}.prefix", "must not be empty"));
        }

        if (match.Regex is "")
        {
            errors.Add(new($"{path}.regex", "must not be empty"));
        }
        else if (match.Regex is not null)
        {
            try
            {
                // As the sidecar runs rules: linear time in the message, whatever a peer sends.
                _ = new Regex(match.Regex, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            }
            catch (NotSupportedException e)
            {
                errors.Add(new($"{path}.regex", $"rules run without backtracking: {e.Message}"));
            }
            catch (ArgumentException e)
            {
                errors.Add(new($"{path}.regex", $"not a valid regular expression: {e.Message}"));
            }
        }

        if (match.Json is { } json && json.Field.Split('.').Contains(""))
        {
            errors.Add(new($"{path}.json.field", "must be a field name or a dotted path of them (data.kind), with no empty name"));
        }
    }

    private static void ValidateRuleAction(MessageRuleConfig rule, string path, long maxBytes, List<ConfigError> errors)
    {
        if (rule.Action is RuleAction.Reply or RuleAction.Rewrite)
        {
            if (rule.Text is null)
            {
                errors.Add(new($"{path}.text", $"required for action {rule.Action}"));
            }
            else if (Encoding.UTF8.GetByteCount(rule.Text) > maxBytes)
            {
                errors.Add(new($"{path}.text", $"{Encoding.UTF8.GetByteCount(rule.Text)} bytes in UTF-8, more than messages.maxBytes ({maxBytes})"));
            }
        }
        else if (rule.Text is not null)
        {
            errors.Add(new($"{path}.text", $"only with action Reply or Rewrite, not {rule.Action}"));
        }

        if (rule.Action == RuleAction.Close)
        {
            // 1008 (policy violation) is the default: what a rule closing on a message most often means.
            if (rule.CloseCode is not (1000 or 1008 or (>= 3000 and <= 4999)))
            {
                errors.Add(new($"{path}.closeCode", "must be 1000, 1008 (policy violation) or an application's code, 3000 to 4999"));
            }

            if (Encoding.UTF8.GetByteCount(rule.CloseReason) > MaxCloseReasonBytes)
            {
                errors.Add(new($"{path}.closeReason", $"at most {MaxCloseReasonBytes} bytes in UTF-8 (a close frame's limit), not {Encoding.UTF8.GetByteCount(rule.CloseReason)}"));
            }
        }
        else
        {
            if (rule.CloseCode != new MessageRuleConfig().CloseCode)
            {
                errors.Add(new($"{path}.closeCode", $"only with action Close, not {rule.Action}"));
            }

            if (!string.IsNullOrEmpty(rule.CloseReason))
            {
                errors.Add(new($"{path}.closeReason", $"only with action Close, not {rule.Action}"));
            }
        }
    }

    private static void ValidateWebSocket(WebSocketOptions ws, string path, List<ConfigError> errors)
    {
        for (var i = 0; i < ws.Subprotocols.Count; i++)
        {
            if (!Token().IsMatch(ws.Subprotocols[i] ?? ""))
            {
                errors.Add(new($"{path}.subprotocols[{i}]", "must be a token (RFC 6455 section 4.1)"));
            }
        }

        for (var i = 0; i < ws.AllowedOrigins.Count; i++)
        {
            var origin = ws.AllowedOrigins[i] ?? "";
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && !origin.EndsWith('/')))
            {
                errors.Add(new($"{path}.allowedOrigins[{i}]", "must be '*' or scheme://host[:port] with no path"));
            }
        }

        if (ws.MaxMessageBytes is < 0 or > WebSocketOptions.HardMaxMessageBytes)
        {
            errors.Add(new($"{path}.maxMessageBytes", $"must be from 0 (the largest allowed) to {WebSocketOptions.HardMaxMessageBytes}"));
        }

        if (ws.KeepAliveInterval is not null && CheckDuration(ws.KeepAliveInterval, $"{path}.keepAliveInterval", errors, allowZero: false) is { } interval && interval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new($"{path}.keepAliveInterval", "must be at least 100ms"));
        }
    }

    private static void ValidateHeaders(HeadersConfig headers, string path, List<ConfigError> errors)
    {
        foreach (var (name, value) in headers.Set)
        {
            if (!Token().IsMatch(name))
            {
                errors.Add(new($"{path}.set.{name}", "must be an HTTP header name"));
            }
            else if (value is null || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                errors.Add(new($"{path}.set.{name}", "value must not hold CR, LF or NUL"));
            }
        }

        for (var i = 0; i < headers.Remove.Count; i++)
        {
            if (!Token().IsMatch(headers.Remove[i] ?? ""))
            {
                errors.Add(new($"{path}.remove[{i}]", "must be an HTTP header name"));
            }
        }
    }

    private static void ValidateTimeouts(TimeoutsConfig timeouts, string path, List<ConfigError> errors)
    {
        CheckDuration(timeouts.Connect, $"{path}.connect", errors, allowZero: false);
        CheckDuration(timeouts.Handshake, $"{path}.handshake", errors, allowZero: false);
        CheckDuration(timeouts.Idle, $"{path}.idle", errors, allowZero: true);
        CheckDuration(timeouts.Drain, $"{path}.drain", errors, allowZero: true);
    }

    private static void ValidateDownstreamTls(DownstreamTlsConfig tls, string path, List<ConfigError> errors)
    {
        if (tls.MinVersion is not ("1.2" or "1.3"))
        {
            errors.Add(new($"{path}.minVersion", "must be \"1.2\" or \"1.3\""));
        }

        if (string.IsNullOrWhiteSpace(tls.CertificatePem) || string.IsNullOrWhiteSpace(tls.PrivateKeyPem))
        {
            errors.Add(new(path, "needs a certificate and a private key (PEM or file)"));
            return;
        }

        CheckKeyPair(tls.CertificatePem, tls.PrivateKeyPem, $"{path}.certificatePem", errors);
    }

    private static void ValidateUpstreamTls(UpstreamTlsConfig tls, string path, List<ConfigError> errors)
    {
        if (tls.CaPem is not null)
        {
            try
            {
                var bundle = new X509Certificate2Collection();
                bundle.ImportFromPem(tls.CaPem);
                if (bundle.Count == 0)
                {
                    errors.Add(new($"{path}.caPem", "holds no certificate"));
                }
            }
            catch (CryptographicException e)
            {
                errors.Add(new($"{path}.caPem", $"not a PEM certificate bundle: {e.Message}"));
            }
        }

        if ((tls.ClientCertificatePem is null) != (tls.ClientKeyPem is null))
        {
            errors.Add(new($"{path}.clientCertificatePem", "a client certificate needs its key, and a key its certificate"));
        }
        else if (tls.ClientCertificatePem is not null)
        {
            CheckKeyPair(tls.ClientCertificatePem, tls.ClientKeyPem!, $"{path}.clientCertificatePem", errors);
        }

        if (tls.ServerName is not null && !HostPattern().IsMatch(tls.ServerName))
        {
            errors.Add(new($"{path}.serverName", "must be a host name"));
        }
    }

    /// <summary>Says which part is wrong: the certificate, the key, or that they are not a pair.</summary>
    private static void CheckKeyPair(string certificatePem, string keyPem, string path, List<ConfigError> errors)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            errors.Add(new(path, $"the certificate does not load: {e.Message}"));
            return;
        }

        if (!PemEncoding.TryFind(keyPem, out _))
        {
            errors.Add(new(path, "the private key is not PEM"));
            return;
        }

        try
        {
            using var pair = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            errors.Add(new(path, $"certificate and key do not load together: {e.Message}"));
        }
    }

    private static TimeSpan? CheckDuration(string? value, string path, List<ConfigError> errors, bool allowZero)
    {
        if (!Duration.TryParse(value, out var duration))
        {
            errors.Add(new(path, $"'{value}' is not a duration (e.g. 500ms, 5s, 10m, 1h)"));
            return null;
        }

        if (!allowZero && duration <= TimeSpan.Zero)
        {
            errors.Add(new(path, "must be more than zero"));
            return null;
        }

        return duration;
    }

    [GeneratedRegex(@"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsLabel();

    /// <summary>One RFC 1123 label: a rule's name is a metric label value, kept short and plain.</summary>
    [GeneratedRegex(@"^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^(\*\.)?(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex Token();
}
