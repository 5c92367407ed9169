using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Sidecar.Tls;

/// <summary>
/// Certificates with their private keys, loaded from PEM: the downstream ones of <see cref="CertificateSet"/> and the
/// client certificates routes present upstream. Loading costs milliseconds of CPU (parsing the key and a chain
/// build), and a document usually changes something else, so each apply starts a <see cref="Next"/> cache that takes
/// over what the previous one loaded for the same PEM; what the new document no longer names goes with the
/// old cache.
/// </summary>
internal sealed class CertificateCache
{
    private readonly Dictionary<(string Certificate, string Key), Loaded> _loaded = [];
    private readonly IReadOnlyDictionary<(string Certificate, string Key), Loaded> _previous;

    private CertificateCache(IReadOnlyDictionary<(string, string), Loaded> previous) => _previous = previous;

    public static CertificateCache Empty { get; } = new(new Dictionary<(string, string), Loaded>());

    public sealed record Loaded(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    /// <summary>A cache for the next document, reusing what this one holds.</summary>
    public CertificateCache Next() => new(_loaded);

    /// <summary>The certificate of <paramref name="pem"/> (leaf first, then intermediates) with <paramref name="key"/>.</summary>
    public Loaded Get(string pem, string key)
    {
        lock (_loaded)
        {
            if (!_loaded.TryGetValue((pem, key), out var loaded))
            {
                loaded = _previous.TryGetValue((pem, key), out var earlier) ? earlier : Load(pem, key);
                _loaded[(pem, key)] = loaded;
            }

            return loaded;
        }
    }

    private static Loaded Load(string pem, string key)
    {
        // The key stays in memory (ephemeral), which OpenSSL uses as is; only Windows' SChannel would want it
        // persisted, and the sidecar runs on Linux.
        var certificate = X509Certificate2.CreateFromPem(pem, key);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(pem);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain)
        {
            if (c.Thumbprint != certificate.Thumbprint)
            {
                intermediates.Add(c);
            }
        }

        return new Loaded(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true));
    }
}
