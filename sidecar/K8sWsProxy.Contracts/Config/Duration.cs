using System.Globalization;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Contracts.Config;

/// <summary>Go-style durations as Kubernetes users write them: "500ms", "5s", "10m", "1h30m", or "0".</summary>
public static partial class Duration
{
    /// <summary>The pattern the CRD schema uses too.</summary>
    public const string Pattern = @"^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Whole();

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text is null || !Whole().IsMatch(text))
        {
            return false;
        }

        double ms = 0;
        foreach (Match part in Part().Matches(text))
        {
            var n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            ms += part.Groups[2].Value switch
            {
                "ms" => n,
                "s" => n * 1_000,
                "m" => n * 60_000,
                _ => n * 3_600_000,
            };
        }

        if (ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>For values that passed validation.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration");
}
