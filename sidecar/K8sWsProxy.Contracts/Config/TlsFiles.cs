namespace K8sWsProxy.Contracts.Config;

/// <summary>Reads the certificate and key files a standalone document names into its PEM fields.</summary>
internal static class TlsFiles
{
    public static SidecarConfigDocument Inline(SidecarConfigDocument document, string baseDirectory, List<ConfigError> errors, List<string> read)
    {
        var routes = new List<RouteConfig>(document.Routes.Count);
        for (var i = 0; i < document.Routes.Count; i++)
        {
            var route = document.Routes[i];
            var path = $"routes[{i}]";
            if (route.Tls is { } tls)
            {
                route = route with
                {
                    Tls = tls with
                    {
                        CertificatePem = Read(tls.CertificatePem, tls.CertificateFile, $"{path}.tls.certificateFile"),
                        PrivateKeyPem = Read(tls.PrivateKeyPem, tls.PrivateKeyFile, $"{path}.tls.privateKeyFile"),
                        CertificateFile = null,
                        PrivateKeyFile = null,
                    },
                };
            }

            if (route.Upstream.Tls is { } up)
            {
                route = route with
                {
                    Upstream = route.Upstream with
                    {
                        Tls = up with
                        {
                            CaPem = Read(up.CaPem, up.CaFile, $"{path}.upstream.tls.caFile"),
                            ClientCertificatePem = Read(up.ClientCertificatePem, up.ClientCertificateFile, $"{path}.upstream.tls.clientCertificateFile"),
                            ClientKeyPem = Read(up.ClientKeyPem, up.ClientKeyFile, $"{path}.upstream.tls.clientKeyFile"),
                            CaFile = null,
                            ClientCertificateFile = null,
                            ClientKeyFile = null,
                        },
                    },
                };
            }

            routes.Add(route);
        }

        return document with { Routes = routes };

        string? Read(string? pem, string? file, string field)
        {
            if (file is null)
            {
                return pem;
            }

            if (pem is not null)
            {
                errors.Add(new ConfigError(field, "give the PEM or the file, not both"));
                return pem;
            }

            var path = Path.GetFullPath(Path.Combine(baseDirectory, file));
            read.Add(path);
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new ConfigError(field, $"cannot read: {e.Message}"));
                return null;
            }
        }
    }
}
