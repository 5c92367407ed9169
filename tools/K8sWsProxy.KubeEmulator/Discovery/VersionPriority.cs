using System.Text.RegularExpressions;

namespace K8sWsProxy.KubeEmulator.Discovery;

/// <summary>Kubernetes version ordering (v2 &gt; v1 &gt; v1beta2 &gt; v1beta1 &gt; v1alpha1 &gt; anything else), for preferredVersion.</summary>
internal static partial class VersionPriority
{
    public static long Of(string version)
    {
        var match = KubeVersion().Match(version);
        if (!match.Success)
        {
            return 0;
        }

        var major = long.Parse(match.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var stage = match.Groups["stage"].Value switch { "" => 3, "beta" => 2, _ => 1 };
        var minor = match.Groups["minor"].Success ? long.Parse(match.Groups["minor"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (stage * 1_000_000) + (major * 1000) + minor;
    }

    [GeneratedRegex(@"^v(?<major>\d+)(?:(?<stage>alpha|beta)(?<minor>\d+))?$")]
    private static partial Regex KubeVersion();
}
