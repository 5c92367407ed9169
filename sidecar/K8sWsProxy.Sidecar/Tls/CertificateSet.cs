using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Tls;

/// <summary>
/// The downstream certificates of one document, by host name. The TLS listener asks it per handshake (SNI), so
/// swapping the set rotates certificates for new handshakes while established connections keep theirs.
/// </summary>
internal sealed class CertificateSet
{
    private readonly Dictionary<string, Entry> _exact;
    private readonly List<(string Suffix, Entry Entry)> _wildcards;
    private readonly Entry? _default;

    private CertificateSet(Dictionary<string, Entry> exact, List<(string, Entry)> wildcards, Entry? fallback)
    {
        _exact = exact;
        _wildcards = wildcards;
        _default = fallback;
    }

    public static CertificateSet Empty { get; } = new([], [], null);

    public sealed record Entry(X509Certificate2 Certificate, SslStreamCertificateContext Context, SslProtocols Protocols, string RouteKey);

    /// <summary>Every certificate, for the admin summary and the expiry metric.</summary>
    public IEnumerable<Entry> Entries => _exact.Values.Concat(_wildcards.Select(w => w.Entry)).Append(_default).OfType<Entry>().Distinct();

    public static CertificateSet Build(IEnumerable<RouteConfig> routes, CertificateCache certificates)
    {
        var exact = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new List<(string, Entry)>();
        Entry? fallback = null;
        foreach (var route in routes)
        {
            if (route.Tls is not { CertificatePem: { } pem, PrivateKeyPem: { } key } tls)
            {
                continue;
            }

            var loaded = certificates.Get(pem, key);
            var entry = new Entry(loaded.Certificate, loaded.Context, tls.MinVersion == "1.3" ? SslProtocols.Tls13 : SslProtocols.Tls12 | SslProtocols.Tls13, route.Key);
            fallback ??= entry;
            foreach (var host in route.Match.Hosts)
            {
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    wildcards.Add((host[1..], entry));
                }
                else
                {
                    exact.TryAdd(host, entry);
                }
            }
        }

        return new CertificateSet(exact, wildcards, fallback);
    }

    /// <summary>Exact name, then the longest wildcard suffix, then the first route's certificate (clients without SNI).</summary>
    public Entry? Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return _default;
        }

        if (_exact.TryGetValue(serverName, out var entry))
        {
            return entry;
        }

        Entry? best = null;
        var bestLength = 0;
        foreach (var (suffix, candidate) in _wildcards)
        {
            if (suffix.Length > bestLength && serverName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && serverName.IndexOf('.') == serverName.Length - suffix.Length)
            {
                best = candidate;
                bestLength = suffix.Length;
            }
        }

        return best ?? _default;
    }
}
