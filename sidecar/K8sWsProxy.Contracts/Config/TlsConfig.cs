namespace K8sWsProxy.Contracts.Config;

/// <summary>
/// A PEM certificate chain and key, the shape of a kubernetes.io/tls Secret. The file variants are for
/// standalone use; the loader reads them into the PEM fields, so nothing past the loader sees a path.
/// </summary>
public sealed record DownstreamTlsConfig
{
    public string? CertificatePem { get; init; }

    public string? PrivateKeyPem { get; init; }

    public string? CertificateFile { get; init; }

    public string? PrivateKeyFile { get; init; }

    /// <summary>"1.2" (default) or "1.3".</summary>
    public string MinVersion { get; init; } = "1.2";
}

public sealed record UpstreamTlsConfig
{
    /// <summary>PEM bundle of the CAs trusted for the upstream; the system store when absent.</summary>
    public string? CaPem { get; init; }

    public string? CaFile { get; init; }

    public string? ClientCertificatePem { get; init; }

    public string? ClientKeyPem { get; init; }

    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    /// <summary>Name sent as SNI and verified against the upstream certificate, instead of the URL's host.</summary>
    public string? ServerName { get; init; }

    public bool InsecureSkipVerify { get; init; }
}
