using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Contracts.Config;

/// <summary>The outcome of loading a document: the document, or every error found.</summary>
public sealed record ConfigLoadResult(SidecarConfigDocument? Document, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Document is not null && Errors.Count == 0;

    /// <summary>The certificate and key files the document named and the loader read (full paths).</summary>
    public IReadOnlyList<string> ReferencedFiles { get; init; } = [];
}

/// <summary>
/// Reads a document from YAML or JSON text: YAML is turned into JSON first, so both go through the same strict
/// deserializer (unknown fields refused) and the same validator. File references are read into PEM here.
/// </summary>
public static partial class ConfigDocumentLoader
{
    public static ConfigLoadResult LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail("", $"cannot read {path}: {e.Message}");
        }

        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="baseDirectory">Relative certificate and key file names are resolved against it.</param>
    public static ConfigLoadResult Parse(string text, string? baseDirectory)
    {
        JsonNode? node;
        try
        {
            node = LooksLikeJson(text) ? JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) : YamlToJson.Convert(text);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return Fail("", $"not valid YAML or JSON: {e.Message}");
        }

        if (node is not JsonObject)
        {
            return Fail("", "the document must be a mapping with a 'routes' list");
        }

        SidecarConfigDocument? document;
        try
        {
            document = node.Deserialize(ConfigJson.Document);
        }
        catch (JsonException e)
        {
            return Fail(FieldPath(e.Path), Describe(e));
        }

        if (document is null)
        {
            return Fail("", "empty document");
        }

        var errors = new List<ConfigError>();
        var files = new List<string>();
        document = TlsFiles.Inline(document, baseDirectory ?? Directory.GetCurrentDirectory(), errors, files);
        errors.AddRange(SidecarConfigValidator.Validate(document));
        if (errors.Count > 0)
        {
            return new ConfigLoadResult(null, errors) { ReferencedFiles = files };
        }

        return new ConfigLoadResult(RevisionHasher.WithRevision(document), []) { ReferencedFiles = files };
    }

    private static bool LooksLikeJson(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                return c == '{';
            }
        }

        return false;
    }

    private static ConfigLoadResult Fail(string path, string message) => new(null, [new ConfigError(path, message)]);

    /// <summary>"$.routes[2].upstream" becomes "routes[2].upstream".</summary>
    internal static string FieldPath(string? jsonPath) =>
        jsonPath is null or "$" ? "" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    private static string Describe(JsonException e)
    {
        var unknown = UnknownProperty().Match(e.Message);
        if (unknown.Success)
        {
            return $"unknown field '{unknown.Groups[1].Value}'";
        }

        var message = e.InnerException?.Message ?? e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return "invalid value: " + (cut > 0 ? message[..cut] : message);
    }

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnknownProperty();
}
