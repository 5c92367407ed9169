using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;
using K8sWsProxy.KubeEmulator.Storage;
using K8sWsProxy.KubeEmulator.Table;

namespace K8sWsProxy.KubeEmulator.Watch;

/// <summary>What one watch request asked for.</summary>
internal sealed record WatchRequest(
    ResourceKind Kind,
    WatchFilter Filter,
    long? FromRevision,
    bool Bookmarks,
    bool SendInitialEvents,
    TimeSpan Timeout,
    IncludeObject? Table);

/// <summary>
/// Serves one watch: a chunked 200 whose headers are flushed at once, then one compact JSON event per line,
/// flushed one by one (the C# client reads lines). Ends cleanly on timeoutSeconds, on the drop-watches hook and
/// on shutdown. A resume point older than the change log gets the 410 ERROR event real servers send.
/// </summary>
internal sealed class WatchStream(ObjectStore store, TimeProvider clock, TimeSpan bookmarkInterval, CancellationToken stopping)
{
    public async Task ServeAsync(HttpContext context, WatchRequest request)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        WatchSubscription subscription;
        try
        {
            subscription = store.Subscribe(request.Kind.StorageKey, request.SendInitialEvents ? null : request.FromRevision);
        }
        catch (ApiException gone)
        {
            await WriteEventAsync(response, "ERROR", gone.ToStatus(), context.RequestAborted);
            return;
        }

        using (subscription)
        using (var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, subscription.Dropped, stopping))
        {
            lifetime.CancelAfter(request.Timeout);
            await response.StartAsync(lifetime.Token);
            await response.Body.FlushAsync(lifetime.Token);
            try
            {
                await PumpAsync(response, request, subscription, lifetime.Token);
            }
            catch (OperationCanceledException)
            {
                // timeoutSeconds, a dropped watch, shutdown or a gone client: the body just ends.
            }
            catch (IOException)
            {
                // The client went away mid-write.
            }
        }
    }

    private async Task PumpAsync(HttpResponse response, WatchRequest request, WatchSubscription subscription, CancellationToken token)
    {
        var initialLeft = request.SendInitialEvents ? subscription.InitialCount : -1;
        if (initialLeft == 0)
        {
            await WriteBookmarkAsync(response, request, store.Revision, initialEventsEnd: true, token);
        }

        while (true)
        {
            while (subscription.Events.TryRead(out var change))
            {
                if (request.Filter.Translate(change) is { } visible)
                {
                    var served = request.Kind.ToServed(visible.Object);
                    var revision = served["metadata"]?["resourceVersion"]?.ToString() ?? "";
                    JsonObject body = request.Table is { } include ? TableConverter.Convert(request.Kind, [served], revision, null, include, clock) : served;
                    await WriteEventAsync(response, visible.Type, body, token);
                }

                if (--initialLeft == 0)
                {
                    await WriteBookmarkAsync(response, request, change.Revision, initialEventsEnd: true, token);
                }
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            if (request.Bookmarks)
            {
                wait.CancelAfter(bookmarkInterval);
            }

            try
            {
                if (!await subscription.Events.WaitToReadAsync(wait.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // Quiet for a bookmark interval: tell the client how far it is synced, if nothing is queued behind.
                if (BookmarkRevision(subscription) is { } revision)
                {
                    await WriteBookmarkAsync(response, request, revision, initialEventsEnd: false, token);
                }
            }
        }
    }

    private long? BookmarkRevision(WatchSubscription subscription)
    {
        lock (store.Gate)
        {
            return subscription.Events.Count == 0 ? store.Revision : null;
        }
    }

    private static Task WriteBookmarkAsync(HttpResponse response, WatchRequest request, long revision, bool initialEventsEnd, CancellationToken token)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return WriteEventAsync(response, "BOOKMARK", new JsonObject
        {
            ["kind"] = request.Kind.Kind,
            ["apiVersion"] = request.Kind.ApiVersion,
            ["metadata"] = metadata,
        }, token);
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonObject obj, CancellationToken token)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), token);
        await response.Body.FlushAsync(token);
    }
}
