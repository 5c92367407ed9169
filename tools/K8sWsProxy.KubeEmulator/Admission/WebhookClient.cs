using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>
/// POSTs an AdmissionReview to a webhook's <c>clientConfig</c> over HTTPS, as the API server does: the service's DNS
/// name is what TLS checks, the <c>caBundle</c> alone is trusted (the system roots without one), and
/// <c>timeoutSeconds</c> bounds the call. The connection itself goes where <see cref="ServiceAddresses"/> says.
/// </summary>
internal sealed class WebhookClient(ServiceAddresses addresses)
{
    private const int DefaultTimeoutSeconds = 10;

    /// <summary>The answer's body; a failed call is a <see cref="WebhookCallException"/>.</summary>
    public async Task<string> PostAsync(JsonObject hook, JsonObject review)
    {
        var clientConfig = hook["clientConfig"] as JsonObject;
        var seconds = (int?)hook["timeoutSeconds"].Integer() ?? DefaultTimeoutSeconds;
        var url = Url(clientConfig, seconds);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = TrustPolicy(clientConfig.Str("caBundle")) },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(seconds) };
        try
        {
            using var content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(url), content);
            var body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK
                ? body
                : throw new WebhookCallException(
                    $"failed to call webhook: the server responded with the status code {(int)response.StatusCode} but did not return more information (post {url})");
        }
        catch (TaskCanceledException)
        {
            throw new WebhookCallException($"failed to call webhook: Post \"{url}\": context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            // The TLS or socket error that says why is the inner one.
            throw new WebhookCallException($"failed to call webhook: Post \"{url}\": {e.InnerException?.Message ?? e.Message}");
        }
    }

    // https://NAME.NAMESPACE.svc:PORT/PATH for a service; the real server adds the timeout as a query parameter.
    // A string, not a Uri: errors show the port even when it is the default, as the real server's do.
    private static string Url(JsonObject? clientConfig, int seconds)
    {
        var url = clientConfig.Str("url");
        if (clientConfig?["service"] is JsonObject service)
        {
            var port = service["port"].Integer() ?? 443;
            url = $"https://{service.Str("name")}.{service.Str("namespace")}.svc:{port.ToString(CultureInfo.InvariantCulture)}{service.Str("path")}";
        }

        return url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timeout={seconds.ToString(CultureInfo.InvariantCulture)}s";
    }

    private static X509ChainPolicy? TrustPolicy(string caBundle)
    {
        if (caBundle.Length == 0)
        {
            return null;
        }

        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(caBundle)));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw new WebhookCallException($"could not get REST client: unable to load root certificates: {e.Message}");
        }

        if (roots.Count == 0)
        {
            throw new WebhookCallException("could not get REST client: unable to load root certificates: unable to parse bytes as PEM block");
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var endpoint = addresses.Resolve(context.DnsEndPoint)
                ?? throw new SocketException((int)SocketError.HostNotFound, $"lookup {context.DnsEndPoint.Host}: no such host (the emulator has no cluster network: map it with --service-address)");
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
