
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Table;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>Content negotiation the way the clients need it: JSON always, a Table when asked for one.</summary>
internal static class MediaTypes
{
    /// <summary>The media type without parameters (clients send <c>; charset=utf-8</c>).</summary>
    public static string Of(string? contentType) =>
        (contentType ?? "").Split(';', 2)[0].Trim().ToLowerInvariant();

    /// <summary>
    /// kubectl get sends <c>application/json;as=Table;v=v1;g=meta.k8s.io,...</c>: then what each row carries of its
    /// object (<c>includeObject</c>: None, Metadata by default, or Object, which `kubectl get --sort-by` asks for);
    /// null when no Table is wanted.
    /// </summary>
    public static IncludeObject? Table(HttpRequest request)
    {
        if (!request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal))
        {
            return null;
        }

        return request.Query["includeObject"].ToString() switch
        {
            "" or "Metadata" => IncludeObject.Metadata,
            "None" => IncludeObject.None,
            "Object" => IncludeObject.Object,
            var other => throw ApiException.BadRequest($"invalid includeObject \"{other}\": must be None, Metadata or Object"),
        };
    }
}
