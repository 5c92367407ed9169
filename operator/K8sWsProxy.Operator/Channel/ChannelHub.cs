using System.Collections.Concurrent;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// The sidecars connected to this replica, the document each must serve, and the last answer of each. A new
/// document reaches a connected sidecar at once; a sidecar that connects gets its current document first.
/// </summary>
internal sealed class ChannelHub
{
    private readonly ConcurrentDictionary<string, SidecarDocument> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SidecarSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SidecarReport> _answers = new(StringComparer.Ordinal);

    /// <summary>A sidecar answered a document or reported its health (pod key).</summary>
    public event Action<string>? Reported;

    /// <summary>A pod got a new document (pod key, revision).</summary>
    public event Action<string, string>? Published;

    /// <summary>A sidecar connected before its pod's document was compiled.</summary>
    public event Action? DocumentMissing;

    /// <summary>
    /// Every connected sidecar whose document a publication changed has been sent it: the timestamp the change was seen
    /// (the operator's own fan-out ends here; a newer publication before that replaces the older one's).
    /// </summary>
    public event Action<long>? FannedOut;

    private FanOut? _fanOut;
    private readonly ConcurrentDictionary<string, byte[]> _encoded = new(StringComparer.Ordinal);

    public int Connected => _sessions.Count;

    public bool IsConnected(string podKey) => _sessions.ContainsKey(podKey);

    /// <summary>The document the pod must serve now, if one was published.</summary>
    public SidecarDocument? DocumentOf(string podKey) => _documents.GetValueOrDefault(podKey);

    public SidecarReport? ReportOf(string podKey) => _answers.GetValueOrDefault(podKey);

    /// <summary>Makes <paramref name="documents"/> current and offers each changed one to its sidecar.</summary>
    /// <param name="changeSeenAt">When the change that led to them was seen (a <see cref="TimeProvider"/> timestamp).</param>
    /// <returns>How many pods' documents changed.</returns>
    public int Publish(IReadOnlyList<SidecarDocument> documents, long changeSeenAt)
    {
        var changed = 0;
        var offers = new List<(SidecarSession Session, SidecarDocument Document)>();
        var current = documents.Select(d => d.Pod.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            var key = document.Pod.Key;
            if (_documents.TryGetValue(key, out var old) && old.Document.Revision == document.Document.Revision)
            {
                continue;
            }

            _documents[key] = document;
            Published?.Invoke(key, document.Document.Revision ?? "");
            changed++;
            if (_sessions.TryGetValue(key, out var session))
            {
                offers.Add((session, document));
            }
        }

        if (offers.Count > 0)
        {
            // In place before the first offer, which a session may send at once. A publication that changes nothing
            // (a resync, a second event for the same change) leaves the one in flight.
            Volatile.Write(ref _fanOut, new FanOut(changeSeenAt, offers.ToDictionary(o => o.Document.Pod.Key, o => o.Document.Document.Revision ?? "", StringComparer.Ordinal)));
            offers.ForEach(o => o.Session.Offer(o.Document));
        }

        var revisions = _documents.Values.Select(d => d.Document.Revision ?? "").ToHashSet(StringComparer.Ordinal);
        foreach (var stale in _encoded.Keys.Where(r => !revisions.Contains(r)).ToList())
        {
            _encoded.TryRemove(stale, out _);
        }

        foreach (var gone in _documents.Keys.Where(k => !current.Contains(k)).ToList())
        {
            _documents.TryRemove(gone, out _);
            _answers.TryRemove(gone, out _);
            // The pod was deleted or no longer carries the sidecar label: its channel has nothing more to carry, and
            // the sidecar's reconnects are refused until it is a sidecar pod again (it keeps its last document).
            if (_sessions.TryGetValue(gone, out var session))
            {
                session.Close("pod no longer selected as a sidecar");
            }
        }

        return changed;
    }

    /// <summary>Registers the sidecar's session, replacing (and closing) an older one of the same pod, and offers its document.</summary>
    public void Attach(SidecarSession session)
    {
        var key = session.Pod.Key;
        if (_sessions.TryGetValue(key, out var older))
        {
            older.Close("replaced by a newer connection of the same pod");
        }

        _sessions[key] = session;
        if (_documents.TryGetValue(key, out var document))
        {
            session.Offer(document);
        }
        else
        {
            DocumentMissing?.Invoke();
        }
    }

    /// <summary>The document as a channel message, encoded once for every sidecar that gets the same revision.</summary>
    public byte[] Encoded(SidecarDocument document) =>
        _encoded.GetOrAdd(document.Document.Revision ?? "", _ => ChannelMessage.ForDocument(document.Document).ToUtf8());

    /// <summary>A session has written a document to its sidecar.</summary>
    public void Sent(PodRef pod, string revision)
    {
        if (Volatile.Read(ref _fanOut) is { } fanOut && fanOut.Sent(pod.Key, revision) && Interlocked.CompareExchange(ref _fanOut, null, fanOut) == fanOut)
        {
            FannedOut?.Invoke(fanOut.SeenAt);
        }
    }

    public void Detach(SidecarSession session) => _sessions.TryRemove(new KeyValuePair<string, SidecarSession>(session.Pod.Key, session));

    /// <summary>The sidecar applied <paramref name="document"/>: it serves that, and has refused nothing since.</summary>
    public void Applied(PodRef pod, DocumentRoutes document) =>
        Record(pod, r => r with { Applied = document, Refused = null, RefusedBecause = null });

    /// <summary>The sidecar refused <paramref name="document"/> and goes on serving what it applied before.</summary>
    public void Refused(PodRef pod, DocumentRoutes document, string reason) =>
        Record(pod, r => r with { Refused = document, RefusedBecause = reason });

    /// <summary>The sidecar's routes' failing upstream endpoints changed.</summary>
    public void Health(PodRef pod, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> failing) =>
        Record(pod, r => r with { Failing = failing });

    private void Record(PodRef pod, Func<SidecarReport, SidecarReport> change)
    {
        _answers.AddOrUpdate(pod.Key, _ => change(SidecarReport.None), (_, r) => change(r));
        Reported?.Invoke(pod.Key);
    }

    /// <summary>Graceful shutdown: every sidecar is told to go elsewhere (1001); it keeps serving meanwhile.</summary>
    public void CloseAll()
    {
        foreach (var session in _sessions.Values)
        {
            session.Close("operator shutting down");
        }
    }

    /// <summary>The documents one publication offered, by pod, until each has been sent.</summary>
    private sealed class FanOut(long seenAt, Dictionary<string, string> pending)
    {
        public long SeenAt => seenAt;

        /// <summary>True when this was the last one.</summary>
        public bool Sent(string pod, string revision)
        {
            lock (pending)
            {
                return pending.TryGetValue(pod, out var r) && r == revision && pending.Remove(pod) && pending.Count == 0;
            }
        }
    }
}
