using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Rest;

namespace K8sWsProxy.KubeEmulator.Selectors;

/// <summary>
/// A parsed <c>labelSelector</c> query (equality, inequality, existence and set-based requirements, ANDed), or a
/// metav1.LabelSelector object as webhooks and other API objects carry it.
/// </summary>
internal sealed partial class LabelSelector
{
    private readonly IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        return new LabelSelector(SelectorTerms.Split(selector).Select(Requirement).ToArray());
    }

    /// <summary>A metav1.LabelSelector: <c>matchLabels</c> and <c>matchExpressions</c>, ANDed; absent or empty selects everything.</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var (key, value) in selector?["matchLabels"] as JsonObject ?? [])
        {
            var wanted = value?.ToString();
            requirements.Add(labels => labels.TryGetValue(key, out var v) && v == wanted);
        }

        foreach (var expression in (selector?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = expression.Str("key");
            var values = (expression["values"] as JsonArray ?? []).Select(v => v?.ToString()).ToHashSet(StringComparer.Ordinal);
            requirements.Add(expression.Str("operator") switch
            {
                "In" => labels => labels.TryGetValue(key, out var v) && values.Contains(v),
                "NotIn" => labels => !labels.TryGetValue(key, out var v) || !values.Contains(v),
                "Exists" => labels => labels.ContainsKey(key),
                "DoesNotExist" => labels => !labels.ContainsKey(key),
                var other => throw ApiException.BadRequest($"\"{other}\" is not a valid label selector operator"),
            });
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    private static Func<IReadOnlyDictionary<string, string>, bool> Requirement(string term)
    {
        var set = SetRequirement().Match(term);
        if (set.Success)
        {
            var key = ValidKey(set.Groups["key"].Value, term);
            var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            return set.Groups["op"].Value == "in"
                ? labels => labels.TryGetValue(key, out var v) && values.Contains(v)
                : labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        var comparison = Comparison().Match(term);
        if (comparison.Success)
        {
            var key = ValidKey(comparison.Groups["key"].Value, term);
            var value = comparison.Groups["value"].Value;
            return comparison.Groups["op"].Value == "!="
                ? labels => !labels.TryGetValue(key, out var v) || v != value
                : labels => labels.TryGetValue(key, out var v) && v == value;
        }

        if (term.StartsWith('!'))
        {
            var key = ValidKey(term[1..].Trim(), term);
            return labels => !labels.ContainsKey(key);
        }

        var existing = ValidKey(term, term);
        return labels => labels.ContainsKey(existing);
    }

    private static string ValidKey(string key, string term) => ObjectMetaRules.IsQualifiedName(key)
        ? key
        : throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in \"{term}\"");

    [GeneratedRegex(@"^(?<key>[^\s!=(),]+)\s+(?<op>in|notin)\s*\((?<values>[^()]*)\)$")]
    private static partial Regex SetRequirement();

    [GeneratedRegex(@"^(?<key>[^\s!=(),]+)\s*(?<op>==|=|!=)\s*(?<value>[A-Za-z0-9_.\-]*)$")]
    private static partial Regex Comparison();
}
