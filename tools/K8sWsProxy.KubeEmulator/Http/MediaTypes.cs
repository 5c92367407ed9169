
namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>Content negotiation the way the clients need it: JSON always, a Table when asked for one.</summary>
internal static class MediaTypes
{
    /// <summary>The media type without parameters (clients send <c>; charset=utf-8</c>).</summary>
    public static string Of(string? contentType) =>
        (contentType ?? "").Split(';', 2)[0].Trim().ToLowerInvariant();

    /// <summary>kubectl get sends <c>application/json;as=Table;v=v1;g=meta.k8s.io,...</c>.</summary>
    public static bool WantsTable(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);
}
