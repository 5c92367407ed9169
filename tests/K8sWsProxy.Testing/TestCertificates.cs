using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Testing;

/// <summary>A private CA and certificates it issues, as PEM (the shape of kubernetes.io/tls Secrets).</summary>
public sealed class TestCertificates
{
    private readonly X509Certificate2 _ca;

    public TestCertificates(string name = "test-ca")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        CaPem = _ca.ExportCertificatePem();
    }

    public string CaPem { get; }

    public X509Certificate2 Ca => _ca;

    public sealed record Issued(string CertificatePem, string KeyPem, X509Certificate2 Certificate);

    /// <summary>A server (and client) certificate for <paramref name="dnsNames"/> and 127.0.0.1.</summary>
    public Issued Issue(string subject, params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), serial);
        var withKey = issued.CopyWithPrivateKey(key);
        var loaded = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new Issued(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), loaded);
    }
}
