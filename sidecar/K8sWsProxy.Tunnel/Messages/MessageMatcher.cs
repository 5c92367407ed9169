using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace K8sWsProxy.Tunnel.Messages;

/// <summary>
/// Matches a whole text message: exactly, by prefix, by a regular expression (linear time: a hostile message cannot
/// make it slow), or by the value of a JSON field.
/// </summary>
public sealed class MessageMatcher
{
    private readonly byte[]? _bytes;
    private readonly bool _prefix;
    private readonly Regex? _regex;
    private readonly string[]? _jsonPath;
    private readonly string? _jsonValue;

    private MessageMatcher(byte[]? bytes, bool prefix, Regex? regex, string[]? jsonPath, string? jsonValue, string description)
    {
        (_bytes, _prefix, _regex, _jsonPath, _jsonValue, Description) = (bytes, prefix, regex, jsonPath, jsonValue, description);
    }

    public string Description { get; }

    public static MessageMatcher Exact(string text) => new(Encoding.UTF8.GetBytes(text), false, null, null, null, $"exact {text}");

    public static MessageMatcher Prefix(string text) => new(Encoding.UTF8.GetBytes(text), true, null, null, null, $"prefix {text}");

    /// <exception cref="ArgumentException">Not a pattern the non-backtracking engine takes (backreferences, lookarounds).</exception>
    public static MessageMatcher Pattern(string pattern) =>
        new(null, false, new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant), null, null, $"regex {pattern}");

    /// <summary>A field, by dotted path ("data.kind"), whose value is this string, or whose number, true, false or null is written so.</summary>
    public static MessageMatcher JsonField(string path, string value) => new(null, false, null, path.Split('.'), value, $"json {path}={value}");

    /// <param name="text">The message decoded, made on first need and kept for the next matcher.</param>
    internal bool IsMatch(MessageAssembler message, ref string? text)
    {
        if (_bytes is not null)
        {
            // The length decides most messages before their payload is joined.
            return _prefix
                ? message.PayloadLength >= _bytes.Length && message.Payload.Span.StartsWith(_bytes)
                : message.PayloadLength == _bytes.Length && message.Payload.Span.SequenceEqual(_bytes);
        }

        if (_regex is not null)
        {
            text ??= Encoding.UTF8.GetString(message.Payload.Span);
            return _regex.IsMatch(text);
        }

        return JsonFieldIs(message.Payload);
    }

    internal string Replace(string message, string replacement) => _regex is null ? replacement : _regex.Replace(message, replacement);

    private bool JsonFieldIs(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64 });
            var element = document.RootElement;
            foreach (var name in _jsonPath!)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return false;
                }
            }

            return element.ValueKind switch
            {
                JsonValueKind.String => element.ValueEquals(_jsonValue),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => element.GetRawText() == _jsonValue,
                _ => false,
            };
        }
        catch (JsonException)
        {
            return false; // not JSON: no field matches
        }
    }
}
