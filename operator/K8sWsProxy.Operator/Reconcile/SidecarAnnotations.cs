using System.Text.Json;
using k8s.Models;
using K8sWsProxy.Operator.Compilation;

namespace K8sWsProxy.Operator.Reconcile;

/// <summary>
/// A sidecar's last answer, kept on its Pod: whichever replica holds the sidecar's channel records it, and the
/// leader (maybe another replica, maybe a restarted one) turns it into route status. Visible with kubectl.
/// </summary>
public static class SidecarAnnotations
{
    /// <summary>The revision of the document the sidecar serves.</summary>
    public const string Revision = "k8swsproxy.io/config-revision";

    /// <summary>The routes of that document: a JSON object of route key ("namespace/name") to the route's revision.</summary>
    public const string Routes = "k8swsproxy.io/config-routes";

    /// <summary>Why it refused the newest document it was sent; absent when it refused nothing since.</summary>
    public const string Rejected = "k8swsproxy.io/config-rejected";

    /// <summary>The revision of the refused document.</summary>
    public const string RejectedRevision = "k8swsproxy.io/config-rejected-revision";

    /// <summary>The routes of the refused document, as in <see cref="Routes"/>.</summary>
    public const string RejectedRoutes = "k8swsproxy.io/config-rejected-routes";

    /// <summary>The sidecar's last health report: a JSON object of route key to {endpoint URL: last error}.</summary>
    public const string UpstreamFailures = "k8swsproxy.io/upstream-failures";

    public static SidecarReport? Read(V1Pod pod)
    {
        var annotations = pod.Metadata.Annotations;
        if (annotations is null)
        {
            return null;
        }

        var applied = Document(annotations, Revision, Routes);
        var refused = Document(annotations, RejectedRevision, RejectedRoutes);
        var failing = annotations.TryGetValue(UpstreamFailures, out var json) ? Json<Dictionary<string, IReadOnlyDictionary<string, string>>>(json) : null;
        if (applied is null && refused is null && failing is null)
        {
            return null;
        }

        return new SidecarReport(applied, refused, refused is null ? null : annotations.TryGetValue(Rejected, out var reason) ? reason : "refused", failing);
    }

    /// <summary>The annotations that record <paramref name="answer"/>; null values remove what is not part of it (a merge patch).</summary>
    public static Dictionary<string, string?> Of(SidecarReport answer) => new()
    {
        [Revision] = answer.Applied?.Revision,
        [Routes] = answer.Applied is { } a ? JsonSerializer.Serialize(a.Routes) : null,
        [Rejected] = answer.RefusedBecause,
        [RejectedRevision] = answer.Refused?.Revision,
        [RejectedRoutes] = answer.Refused is { } r ? JsonSerializer.Serialize(r.Routes) : null,
        [UpstreamFailures] = answer.Failing is { } f ? JsonSerializer.Serialize(f) : null,
    };

    private static DocumentRoutes? Document(IDictionary<string, string> annotations, string revisionKey, string routesKey)
    {
        if (!annotations.TryGetValue(revisionKey, out var revision) || string.IsNullOrEmpty(revision))
        {
            return null;
        }

        // Routes missing or unreadable (written by hand, or by an operator before routes were recorded): the sidecar
        // runs that document, but nothing is known to be on it.
        var routes = annotations.TryGetValue(routesKey, out var json) ? Json<Dictionary<string, string>>(json) : null;
        return new DocumentRoutes(revision, routes ?? []);
    }

    private static T? Json<T>(string json)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
