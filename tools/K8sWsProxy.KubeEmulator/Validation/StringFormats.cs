using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace K8sWsProxy.KubeEmulator.Validation;

/// <summary>
/// The string formats kube-openapi checks in custom resources (a subset of go-openapi strfmt). A controller
/// that writes, say, a lastTransitionTime in the wrong shape is refused by a real server, so it is here too.
/// Formats not listed are accepted, as unknown formats are by the real server.
/// </summary>
internal static partial class StringFormats
{
    public static bool IsValid(string format, string value) => format switch
    {
        "date-time" => DateTime().IsMatch(value) && System.DateTime.TryParse(value[..10], CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "date" => System.DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "byte" => Base64(value),
        "uuid" => Uuid().IsMatch(value),
        "ipv4" => IPAddress.TryParse(value, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && value.Count(c => c == '.') == 3,
        "ipv6" => IPAddress.TryParse(value, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6,
        "duration" => Duration().IsMatch(value),
        _ => true,
    };

    private static bool Base64(string value)
    {
        Span<byte> buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")]
    private static partial Regex DateTime();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();

    // Go's time.ParseDuration, plus the day and week units strfmt adds.
    [GeneratedRegex(@"^[-+]?(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w))+$|^0$")]
    private static partial Regex Duration();
}
