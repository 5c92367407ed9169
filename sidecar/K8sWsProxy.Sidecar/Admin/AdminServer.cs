using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Http1;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Sidecar.Admin;

/// <summary>
/// The admin port, on its own listener so traffic routes can never shadow it: liveness, readiness (a document is
/// active), Prometheus metrics and the active config summary (never a key). One GET per connection, answered and
/// closed: probes and scrapes are all it serves, and a web framework would cost every pod its memory.
/// </summary>
internal sealed class AdminServer(ConfigApplier configs, SidecarMetrics metrics, TimeProvider time)
{
    public async Task ServeAsync(Socket socket)
    {
        await using var client = new SocketStream(socket);
        try
        {
            HeadRead request;
            using (var timeout = new CancellationTokenSource(Http1Proxy.RequestHeadTimeout, time))
            {
                request = await HeadRead.ReadAsync(client, request: true, timeout.Token);
            }

            // Off the socket reactor's thread, which also relays WebSocket messages: an export must not hold them up.
            await Task.Yield();
            var (status, type, body) = request.Head is { } head ? await AnswerAsync(head) : (400, "text/plain", Encoding.ASCII.GetBytes($"bad request: {request.Error}\n"));
            if (request.Head is null && request.Error is null)
            {
                return;
            }

            await client.WriteAsync(Http1Responses.Complete(status, type, body));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The prober went away, or never finished its request.
        }
    }

    private async Task<(int Status, string Type, byte[] Body)> AnswerAsync(HttpHead head)
    {
        if (head.Method != "GET")
        {
            return (405, "text/plain", "only GET\n"u8.ToArray());
        }

        var path = head.Target.Split('?', 2)[0];
        switch (path)
        {
            case "/healthz":
                return (200, "text/plain", "ok\n"u8.ToArray());
            case "/readyz":
                return configs.HasDocument
                    ? (200, "text/plain", Encoding.UTF8.GetBytes($"ready {configs.Current.Revision}\n"))
                    : (503, "text/plain", "no config document yet\n"u8.ToArray());
            case "/v1/config":
                return (200, "application/json", JsonSerializer.SerializeToUtf8Bytes(ConfigSummary.From(configs.Current), AdminJson.Default.ConfigSummary));
            case "/metrics":
                using (var exposition = new MemoryStream())
                {
                    await metrics.Registry.CollectAndExportAsTextAsync(exposition);
                    return (200, "text/plain; version=0.0.4; charset=utf-8", exposition.ToArray());
                }

            default:
                return (404, "text/plain", "not found\n"u8.ToArray());
        }
    }
}
