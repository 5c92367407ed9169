using System.Text;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Bench.Harness;

/// <summary>The config templates in bench/configs: {{NAME}} placeholders, every one of which must be given.</summary>
internal static partial class Templates
{
    public static string Directory { get; set; } = Path.Combine(AppContext.BaseDirectory, "configs");

    public static string Load(string name) => File.ReadAllText(Path.Combine(Directory, name));

    /// <summary>Fills every {{NAME}}; a placeholder without a value is an error (a half-rendered config would mislead).</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var missing = new List<string>();
        var result = Placeholder().Replace(template, m =>
        {
            if (values.TryGetValue(m.Groups[1].Value, out var v))
            {
                return v;
            }

            missing.Add(m.Groups[1].Value);
            return m.Value;
        });
        if (missing.Count > 0)
        {
            throw new ArgumentException($"no value for {string.Join(", ", missing.Distinct())}");
        }

        return result;
    }

    /// <summary>Renders a snippet once per n in 1..<paramref name="count"/> and joins them (the reload scenario's extra routes).</summary>
    public static string Repeat(string snippet, int count, IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder();
        for (var n = 1; n <= count; n++)
        {
            var v = new Dictionary<string, string>(values) { ["N"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            sb.Append(Render(snippet, v));
        }

        return sb.ToString();
    }

    /// <summary>Writes a file atomically (temp file, then rename), so a poller never reads half a document.</summary>
    public static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    [GeneratedRegex(@"\{\{([A-Z_]+)\}\}")]
    private static partial Regex Placeholder();
}
