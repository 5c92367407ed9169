using System.Net.WebSockets;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// One sidecar's channel: documents go out (only the latest, if several came while one was being sent), answers
/// come in and are recorded in the hub. Ends when either side closes.
/// </summary>
internal sealed class SidecarSession(PodRef pod, WebSocket socket, ChannelHub hub, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _closing = new();
    private SidecarDocument? _pending;
    private string? _closeReason;

    public PodRef Pod => pod;

    public void Offer(SidecarDocument document)
    {
        Interlocked.Exchange(ref _pending, document);
        _wake.Release();
    }

    public void Close(string reason)
    {
        _closeReason = reason;
        _closing.Cancel();
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var sending = SendAsync(linked.Token);
        try
        {
            await ReceiveAsync(linked.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }

        await linked.CancelAsync();
        await sending;
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, _closeReason ?? "bye", timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        string? sent = null;
        try
        {
            while (true)
            {
                await _wake.WaitAsync(cancellationToken);
                if (Interlocked.Exchange(ref _pending, null) is not { } document || document.Document.Revision == sent)
                {
                    continue;
                }

                await socket.SendAsync(ChannelMessage.ForDocument(document.Document).ToUtf8(), WebSocketMessageType.Text, true, cancellationToken);
                sent = document.Document.Revision;
                Log.DocumentSent(logger, pod.Key, sent!, document.Document.Routes.Count);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (message.Length + result.Count > ChannelProtocol.MaxMessageBytes)
            {
                _closeReason = "message too big";
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var parsed = ChannelMessage.Parse(message.GetBuffer().AsSpan(0, (int)message.Length), out var error);
            message.SetLength(0);
            switch (parsed)
            {
                case { Type: ChannelMessage.AckType }:
                    Log.SidecarAcked(logger, pod.Key, parsed.Revision!);
                    hub.Record(pod, new SidecarAck(parsed.Revision!));
                    break;
                case { Type: ChannelMessage.NackType }:
                    var reasons = string.Join("; ", parsed.Reasons ?? []);
                    Log.SidecarRejected(logger, pod.Key, parsed.Revision!, reasons);
                    hub.Record(pod, new SidecarAck(parsed.Revision!, reasons.Length > 0 ? reasons : "refused"));
                    break;
                default:
                    Log.BadSidecarMessage(logger, pod.Key, error ?? $"unexpected '{parsed?.Type}' message");
                    break;
            }
        }
    }

    public void Dispose()
    {
        _wake.Dispose();
        _closing.Dispose();
    }
}
