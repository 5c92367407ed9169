using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Sidecar.Channel;

/// <summary>
/// Operator mode: dials the operator's config channel over TLS with the pod's projected service-account token,
/// applies every document it sends through the applier and answers ack or nack, and reports its routes' failing
/// upstream endpoints (<see cref="UpstreamHealth"/>) when they change, at most every
/// <see cref="ChannelProtocol.HealthInterval"/>. When the channel is lost, the
/// last good document keeps serving and the client redials with exponential backoff and jitter; the token file
/// is re-read on every dial, since projected tokens rotate.
/// </summary>
internal sealed class OperatorChannelClient(SidecarOptions options, ConfigApplier applier, TimeProvider time, ILogger<OperatorChannelClient> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.OperatorUrl is not { } url)
        {
            return;
        }

        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustedOperator(options.OperatorCaFile) },
        });
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                await RunOnceAsync(url, invoker, () => failures = 0, stoppingToken);
                reason = "closed by the operator";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or OperationCanceledException or UnauthorizedAccessException)
            {
                reason = e.Message;
            }

            // "Equal jitter": half the exponential delay, plus up to as much again at random, so a fleet of sidecars
            // that lost the operator together does not come back together.
            var cap = Math.Min(FirstRetry.TotalMilliseconds * Math.Pow(2, Math.Min(failures++, 20)), LastRetry.TotalMilliseconds);
            var delay = TimeSpan.FromMilliseconds((cap / 2) + (Random.Shared.NextDouble() * cap / 2));
            ChannelLog.Disconnected(logger, url, reason, (long)delay.TotalMilliseconds, applier.Current.Revision ?? "(none)");
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunOnceAsync(Uri url, HttpMessageInvoker invoker, Action connected, CancellationToken stoppingToken)
    {
        var token = (await File.ReadAllTextAsync(options.TokenFile, stoppingToken)).Trim();
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            connecting.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(url, invoker, connecting.Token);
        }

        ChannelLog.Connected(logger, url);
        connected();
        using var sending = new SemaphoreSlim(1);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var health = ReportHealthAsync(socket, sending, connection.Token);
        try
        {
            await ReceiveAsync(socket, sending, stoppingToken);
        }
        finally
        {
            await connection.CancelAsync();
            await health;
        }
    }

    private async Task ReceiveAsync(ClientWebSocket socket, SemaphoreSlim sending, CancellationToken stoppingToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, stoppingToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The operator is going (1001 on its shutdown): answer its close, then dial again.
                await SendAsync(socket, sending, null, stoppingToken);
                return;
            }

            if (message.Length + result.Count > ChannelProtocol.MaxMessageBytes)
            {
                throw new IOException("the operator sent a message over the size limit");
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            // Off the socket's completion thread, which (inline completions) is also a thread that relays messages:
            // parsing and applying a large document must not hold up WebSocket traffic.
            await Task.Yield();
            var parsed = ChannelMessage.Parse(message.GetBuffer().AsSpan(0, (int)message.Length), out var error);
            message.SetLength(0);
            if (parsed is not { Type: ChannelMessage.DocumentType, Document: { } document })
            {
                ChannelLog.BadMessage(logger, error ?? $"unexpected '{parsed?.Type}' message");
                continue;
            }

            var applied = await applier.ApplyAsync(document, stoppingToken);
            var answer = applied.Accepted ? ChannelMessage.Ack(applied.Revision!) : ChannelMessage.Nack(document.Revision ?? applied.Revision, applied.Reasons);
            await SendAsync(socket, sending, answer, stoppingToken);
        }
    }

    /// <summary>The first report of every connection (the operator keeps none across them), then each change.</summary>
    private async Task ReportHealthAsync(ClientWebSocket socket, SemaphoreSlim sending, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? sent = null;
        using var timer = new PeriodicTimer(ChannelProtocol.HealthInterval, time);
        try
        {
            do
            {
                var failing = UpstreamHealth.Failing(applier.Current, time);
                if (sent is null || !UpstreamHealth.SameEndpoints(sent, failing))
                {
                    await SendAsync(socket, sending, ChannelMessage.Health(failing), cancellationToken);
                    sent = failing;
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection ended: the receive loop reports why.
        }
    }

    /// <summary>One message at a time: answers and health reports share the socket. A null message answers a close.</summary>
    private static async Task SendAsync(ClientWebSocket socket, SemaphoreSlim sending, ChannelMessage? message, CancellationToken cancellationToken)
    {
        await sending.WaitAsync(cancellationToken);
        try
        {
            if (message is null)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
            }
            else
            {
                await socket.SendAsync(message.ToUtf8(), WebSocketMessageType.Text, true, cancellationToken);
            }
        }
        finally
        {
            sending.Release();
        }
    }

    /// <summary>
    /// With a CA file, the operator's certificate must chain to it (and only it); without, the system store decides.
    /// The file is read at every handshake, so a rotated CA (a ConfigMap the kubelet updates in place) is trusted on
    /// the next dial without a restart; while it cannot be read, the last one read stands.
    /// </summary>
    private static RemoteCertificateValidationCallback? TrustedOperator(string? caFile)
    {
        if (caFile is null)
        {
            return null;
        }

        var lastRead = Authorities(caFile) ?? [];
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            var authorities = lastRead = Authorities(caFile) ?? lastRead;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }

    private static X509Certificate2Collection? Authorities(string caFile)
    {
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            return authorities.Count > 0 ? authorities : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
