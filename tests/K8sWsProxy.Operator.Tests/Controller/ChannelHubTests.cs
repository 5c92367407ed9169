using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>The hub's fan-out over real sockets: it ends when the last changed document has been written to its sidecar.</summary>
public sealed class ChannelHubTests
{
    private static SidecarDocument Document(PodRef pod, string header)
    {
        var document = RevisionHasher.WithRevision(new SidecarConfigDocument
        {
            Routes = [new RouteConfig { Name = "chat", Namespace = "demo", Upstream = new UpstreamConfig { Endpoints = [new EndpointConfig { Url = "ws://127.0.0.1:9/" }] }, Headers = new HeadersConfig { Set = new Dictionary<string, string> { ["x-n"] = header } } }],
        });
        return new SidecarDocument(pod, document, new DocumentRoutes(document.Revision!, new Dictionary<string, string>()));
    }

    /// <summary>A WebSocket pair over a loopback TCP connection: the operator's side and the sidecar's.</summary>
    private static async Task<(WebSocket Operator, WebSocket Sidecar)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        return (WebSocket.CreateFromStream(server.GetStream(), new WebSocketCreationOptions { IsServer = true }),
                WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false }));
    }

    private static async Task<string> ReceiveRevisionAsync(WebSocket sidecar)
    {
        var buffer = new byte[64 * 1024];
        var result = await sidecar.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        return ChannelMessage.Parse(buffer.AsSpan(0, result.Count), out _)!.Document!.Revision!;
    }

    [Fact]
    public async Task The_fan_out_ends_with_the_last_document_sent_and_a_publication_that_changes_nothing_leaves_it()
    {
        var hub = new ChannelHub();
        var fannedOut = new List<long>();
        hub.FannedOut += seenAt =>
        {
            lock (fannedOut)
            {
                fannedOut.Add(seenAt);
            }
        };
        PodRef[] pods = [new("demo", "a", "ua"), new("demo", "b", "ub")];
        using var stop = new CancellationTokenSource();
        var sidecars = new List<WebSocket>();
        var running = new List<Task>();
        hub.Publish([.. pods.Select(p => Document(p, "0"))], changeSeenAt: 1);
        foreach (var pod in pods)
        {
            var (operatorSide, sidecarSide) = await PairAsync();
            var session = new SidecarSession(pod, operatorSide, hub, NullLogger.Instance);
            hub.Attach(session);
            running.Add(session.RunAsync(stop.Token));
            sidecars.Add(sidecarSide);
        }

        foreach (var sidecar in sidecars)
        {
            await ReceiveRevisionAsync(sidecar);
        }

        // A change, then at once a publication of the same documents (as a resync would make): one fan-out, the change's.
        var changed = pods.Select(p => Document(p, "1")).ToList();
        hub.Publish(changed, changeSeenAt: 42);
        hub.Publish(changed, changeSeenAt: 43);
        foreach (var sidecar in sidecars)
        {
            Assert.Equal(changed[0].Document.Revision, await ReceiveRevisionAsync(sidecar));
        }

        await Poll.UntilAsync(() => { lock (fannedOut) { return fannedOut.Contains(42); } }, "the change's fan-out", TimeSpan.FromSeconds(10));
        lock (fannedOut)
        {
            Assert.DoesNotContain(43L, fannedOut);
        }

        await stop.CancelAsync();
        await Task.WhenAll(running);
    }

    [Fact]
    public async Task What_a_sidecar_says_is_kept_bounded_and_an_oversized_message_ends_its_session()
    {
        var hub = new ChannelHub();
        var pod = new PodRef("demo", "a", "ua");
        var document = Document(pod, "0");
        hub.Publish([document], changeSeenAt: 1);
        var (operatorSide, sidecar) = await PairAsync();
        using var session = new SidecarSession(pod, operatorSide, hub, NullLogger.Instance);
        hub.Attach(session);
        var running = session.RunAsync(CancellationToken.None);
        var revision = await ReceiveRevisionAsync(sidecar);

        // A 400 KB nack: what the operator keeps (and writes on the Pod, into the condition and the event) is 1 KiB.
        await sidecar.SendAsync(ChannelMessage.Nack(revision, [new string('x', 400_000)]).ToUtf8(), WebSocketMessageType.Text, true, CancellationToken.None);
        await Poll.UntilAsync(() => hub.ReportOf(pod.Key)?.RefusedBecause is not null, "the nack recorded", TimeSpan.FromSeconds(10));
        Assert.Equal(ChannelProtocol.MaxReportedChars, hub.ReportOf(pod.Key)!.RefusedBecause!.Length);

        // More than the operator reads from a sidecar: the session ends.
        await sidecar.SendAsync(new byte[ChannelProtocol.MaxAnswerBytes + 1], WebSocketMessageType.Text, true, CancellationToken.None);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
