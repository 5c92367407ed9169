using System.Collections.Concurrent;
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
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _closing = new();
    private SidecarDocument? _pending;

    // The documents sent and not yet answered, by revision: an answer names a revision, and what the sidecar then
    // serves is that document's routes. Answers come in the order the documents went out; a sidecar that never
    // answers keeps only the newest few here.
    private const int MaxUnanswered = 16;
    private readonly ConcurrentQueue<SidecarDocument> _unanswered = new();
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
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session ended on its own meanwhile: nothing left to close.
        }
    }

    /// <summary>
    /// Until the sidecar goes, the operator stops or the session is replaced. The receive side is never cancelled
    /// (that would abort the socket): a close from this side is a 1001 close frame, answered by the sidecar's own.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var sending = SendAsync(linked.Token);
        var receiving = ReceiveAsync();
        await Task.WhenAny(receiving, Task.Delay(Timeout.Infinite, linked.Token));
        await linked.CancelAsync();
        await sending;
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseTimeout);
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, _closeReason ?? "bye", timeout.Token);
            }

            await receiving.WaitAsync(CloseTimeout, CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or TimeoutException)
        {
            socket.Abort();
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

                _unanswered.Enqueue(document);
                while (_unanswered.Count > MaxUnanswered)
                {
                    _unanswered.TryDequeue(out _);
                }
                await socket.SendAsync(hub.Encoded(document), WebSocketMessageType.Text, true, cancellationToken);
                sent = document.Document.Revision;
                hub.Sent(pod, sent ?? "");
                Log.DocumentSent(logger, pod.Key, sent!, document.Document.Routes.Count);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    /// <summary>Reads answers until the sidecar closes (or the socket fails): never throws.</summary>
    private async Task ReceiveAsync()
    {
        try
        {
            await ReceiveAnswersAsync();
        }
        catch (WebSocketException)
        {
        }
    }

    private async Task ReceiveAnswersAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (message.Length + result.Count > ChannelProtocol.MaxAnswerBytes)
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
            var isAnswer = parsed is { Type: ChannelMessage.AckType or ChannelMessage.NackType };
            var answered = isAnswer ? Answered(parsed!.Revision!) : null;
            switch (parsed)
            {
                case { Type: ChannelMessage.AckType } when answered is not null:
                    Log.SidecarAcked(logger, pod.Key, parsed.Revision!);
                    hub.Applied(pod, answered.Routes);
                    break;
                case { Type: ChannelMessage.NackType } when answered is not null:
                    var reasons = ChannelProtocol.Bounded(string.Join("; ", parsed.Reasons ?? []));
                    Log.SidecarRejected(logger, pod.Key, parsed.Revision!, reasons);
                    hub.Refused(pod, answered.Routes, reasons.Length > 0 ? reasons : "refused");
                    break;
                case { Type: ChannelMessage.HealthType }:
                    hub.Health(pod, Known(parsed.Upstreams!));
                    break;
                default:
                    Log.BadSidecarMessage(logger, pod.Key, error ?? (isAnswer ? $"{parsed!.Type} of {parsed.Revision}, which was not sent to it" : $"unexpected '{parsed?.Type}' message"));
                    break;
            }
        }
    }

    /// <summary>
    /// The failing endpoints a sidecar reports, kept only where they are endpoints of routes in its current
    /// document, with their errors bounded: what a sidecar says ends up in route status, events and metric labels,
    /// so a compromised one must not be able to write arbitrary names there.
    /// </summary>
    private Dictionary<string, IReadOnlyDictionary<string, string>> Known(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> reported)
    {
        var routes = hub.DocumentOf(pod.Key)?.Document.Routes.ToDictionary(r => r.Key, StringComparer.Ordinal) ?? [];
        var known = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (key, endpoints) in reported)
        {
            if (routes.TryGetValue(key, out var route))
            {
                var urls = route.Upstream.Endpoints.Select(e => e.Url).ToHashSet(StringComparer.Ordinal);
                var failing = endpoints.Where(e => urls.Contains(e.Key)).ToDictionary(e => e.Key, e => ChannelProtocol.Bounded(e.Value), StringComparer.Ordinal);
                if (failing.Count > 0)
                {
                    known[key] = failing;
                }
            }
        }

        return known;
    }

    /// <summary>The sent document an answer names, dropping those sent before it (answered, or never to be).</summary>
    private SidecarDocument? Answered(string revision)
    {
        while (_unanswered.TryDequeue(out var document))
        {
            if (document.Document.Revision == revision)
            {
                return document;
            }
        }

        return null;
    }

    public void Dispose()
    {
        _wake.Dispose();
        _closing.Dispose();
    }
}
