using System.Globalization;

namespace K8sWsProxy.KubeEmulator.Json;

/// <summary>metav1.Time on the wire: RFC 3339 in UTC, whole seconds, a trailing Z.</summary>
internal static class Rfc3339
{
    public static string Format(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Now(TimeProvider clock) => Format(clock.GetUtcNow());
}
