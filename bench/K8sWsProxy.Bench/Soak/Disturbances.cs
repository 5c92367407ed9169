using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;
using K8sWsProxy.Bench.Cluster;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Soak;

/// <summary>
/// What the soak does to the cluster while the connections are held, each in a loop of its own until stopped: the churn
/// route's spec changed every second through the API (a request header's value, so every sidecar gets a new document),
/// the secure route's certificate Secret replaced every minute by a new certificate from the test CA (then every
/// sidecar's TLS listener probed until it serves it), and the churn route's upstream stopped and started again on its
/// port every few minutes.
/// </summary>
internal sealed class Disturbances(LocalCluster cluster, TestCertificates authority, SystemSettings churnUpstream, TimeSpan restartInterval, TextWriter log)
{
    public const string SecretName = "soak-tls";

    /// <summary>The host the secure route matches and its certificate names (the load generator's SNI is localhost).</summary>
    public const string SecureHost = "localhost";

    private static readonly TimeSpan RotationDeadline = TimeSpan.FromSeconds(30);

    public ManagedProcess? Upstream { get; set; }

    public int RouteChanges { get; private set; }

    public int RouteChangesFailed { get; private set; }

    public List<double> RotationSeconds { get; } = [];

    /// <summary>Rotations some sidecar did not serve within 30 s.</summary>
    public int RotationsNotSeen { get; private set; }

    public List<double> RestartDowntimeSeconds { get; } = [];

    public int RestartsFailed { get; private set; }

    /// <summary>The Secret with a new certificate: created the first time, replaced (merge patch of its data) after; returns the certificate's serial.</summary>
    public async Task<string> WriteCertificateAsync(bool create, CancellationToken cancel)
    {
        var issued = authority.Issue("soak-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture), SecureHost);
        var data = new Dictionary<string, byte[]> { ["tls.crt"] = Encoding.ASCII.GetBytes(issued.CertificatePem), ["tls.key"] = Encoding.ASCII.GetBytes(issued.KeyPem) };
        if (create)
        {
            await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
                new V1Secret { Metadata = new V1ObjectMeta { Name = SecretName }, Type = "kubernetes.io/tls", Data = data }, LocalCluster.Namespace, cancellationToken: cancel);
        }
        else
        {
            var patch = new { data = data.ToDictionary(d => d.Key, d => Convert.ToBase64String(d.Value)) };
            await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(System.Text.Json.JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch),
                SecretName, LocalCluster.Namespace, cancellationToken: cancel);
        }

        return issued.Certificate.SerialNumber;
    }

    public Task RunAsync(CancellationToken stop) => Task.WhenAll(
        Task.Run(() => ChangeRoutesAsync(stop), CancellationToken.None),
        Task.Run(() => RotateCertificatesAsync(stop), CancellationToken.None),
        Task.Run(() => RestartUpstreamAsync(stop), CancellationToken.None));

    private async Task ChangeRoutesAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var n = 0;
        while (await Tick(timer, stop))
        {
            n++;
            try
            {
                await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
                    new V1Patch("""{"spec":{"headers":{"set":{"x-soak-change":"N"}}}}""".Replace("N", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), V1Patch.PatchType.MergePatch),
                    "k8swsproxy.io", "v1alpha1", LocalCluster.Namespace, "websocketroutes", "churn", cancellationToken: stop);
                RouteChanges++;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException)
            {
                RouteChangesFailed++;
                log.WriteLine($"soak: route change {n} failed: {e.Message}");
            }
        }
    }

    private async Task RotateCertificatesAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        while (await Tick(timer, stop))
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var serial = await WriteCertificateAsync(create: false, stop);
                var pending = cluster.SidecarUrls.Values.Select(u => u.Tls).ToList();
                while (pending.Count > 0 && Stopwatch.GetElapsedTime(started) < RotationDeadline)
                {
                    var served = await Task.WhenAll(pending.Select(ServedSerialAsync));
                    pending = [.. pending.Where((_, i) => served[i] != serial)];
                    if (pending.Count > 0)
                    {
                        await Task.Delay(100, stop);
                    }
                }

                if (pending.Count == 0)
                {
                    RotationSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                else
                {
                    RotationsNotSeen++;
                    log.WriteLine($"soak: certificate {serial} not served by {string.Join(", ", pending)} within {RotationDeadline.TotalSeconds:0} s");
                }
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException)
            {
                RotationsNotSeen++;
                log.WriteLine($"soak: certificate rotation failed: {e.Message}");
            }
        }
    }

    private async Task RestartUpstreamAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(restartInterval);
        while (await Tick(timer, stop))
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (Upstream is { } old)
                {
                    // SIGTERM: Kestrel would wait out its shutdown timeout for open WebSockets; a second is enough to say it stopped.
                    await old.StopAsync(Signals.Term, TimeSpan.FromSeconds(1));
                }

                Upstream = await Systems.Upstream.StartAsync(churnUpstream, "upstream-churn");
                RestartDowntimeSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
            {
                RestartsFailed++;
                log.WriteLine($"soak: upstream restart failed: {e.Message}");
            }
        }
    }

    /// <summary>The serial of the certificate a sidecar's TLS listener serves for the secure host; null when the handshake fails.</summary>
    private static async Task<string?> ServedSerialAsync(Uri tls)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(tls.Host, tls.Port, timeout.Token);
            await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: false));
            string? serial = null;
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = SecureHost,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    serial = certificate?.GetSerialNumberString();
                    return true;
                },
            }, timeout.Token);
            return serial;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return null;
        }
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
