using System.Globalization;
using k8s;
using k8s.Autorest;

namespace K8sWsProxy.Operator.Injection;

/// <summary>
/// Whether to inject native sidecars (restartable init containers, on by default from Kubernetes 1.29): as configured,
/// or for --native-sidecars auto, from the API server's /version, asked once at start.
/// </summary>
internal static class NativeSidecarSupport
{
    private static readonly Version Since = new(1, 29);

    public static async Task<bool> ResolveAsync(bool? configured, IKubernetes client, ILogger logger, CancellationToken cancellationToken)
    {
        if (configured is { } native)
        {
            return native;
        }

        try
        {
            var version = await client.Version.GetCodeAsync(cancellationToken);
            native = Supports(version.Major, version.Minor);
            Log.SidecarKindChosen(logger, version.GitVersion, Kind(native));
            return native;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            // Classic sidecars work on every version; only their start and stop order is weaker.
            Log.ServerVersionUnknown(logger, e.Message);
            return false;
        }
    }

    /// <summary>Managed clusters report minors like "29+": the digits count.</summary>
    public static bool Supports(string major, string minor) =>
        int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out var ma)
        && int.TryParse(new string([.. minor.TakeWhile(char.IsAsciiDigit)]), NumberStyles.None, CultureInfo.InvariantCulture, out var mi)
        && new Version(ma, mi) >= Since;

    public static string Kind(bool native) => native ? "native sidecar (init container, restartPolicy Always)" : "classic sidecar (container)";
}
