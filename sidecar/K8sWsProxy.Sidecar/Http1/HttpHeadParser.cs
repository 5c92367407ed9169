using System.Text;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// A strict parser of HTTP/1.x heads (RFC 9112): CRLF line ends only, no folded lines, no whitespace before a
/// colon, no control characters, at most <see cref="MaxHeaders"/> fields in at most <see cref="MaxHeadBytes"/>.
/// Anything else is an error, never a guess: a proxy that reads a head differently from its upstream can be
/// used to smuggle requests past it.
/// </summary>
internal static class HttpHeadParser
{
    public const int MaxHeadBytes = 16 * 1024;
    public const int MaxHeaders = 100;

    // Names nearly every handshake carries: each parsed head would otherwise hold its own copies.
    private static readonly (byte[] Bytes, string Name)[] KnownNames =
    [
        .. new[]
        {
            "Host", "Upgrade", "Connection", "Origin", "User-Agent", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
            "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept", "X-Forwarded-For",
            "X-Forwarded-Proto", "X-Forwarded-Host", "Date", "Server", "Cookie", "Cache-Control", "Pragma",
            "Accept-Encoding", "Accept-Language",
        }.Select(name => (Encoding.ASCII.GetBytes(name), name)),
    ];

    public enum Result
    {
        /// <summary>The head does not end within the data yet.</summary>
        Incomplete,
        Complete,
        Invalid,
    }

    /// <param name="length">When complete, the head's length including its empty line.</param>
    public static Result TryParse(ReadOnlySpan<byte> data, bool request, out HttpHead? head, out int length, out string? error)
    {
        head = null;
        error = null;
        length = data.IndexOf("\r\n\r\n"u8) is var end and >= 0 ? end + 4 : -1;
        if (length < 0)
        {
            if (data.Length >= MaxHeadBytes)
            {
                error = $"head larger than {MaxHeadBytes} bytes";
                return Result.Invalid;
            }

            return Result.Incomplete;
        }

        if (length > MaxHeadBytes)
        {
            error = $"head larger than {MaxHeadBytes} bytes";
            return Result.Invalid;
        }

        // Every line of the head, the start line included, ends with CRLF; the empty line after them is cut off.
        var remaining = data[..(length - 2)];
        var startLine = NextLine(ref remaining);
        var headers = new List<KeyValuePair<string, string>>(Math.Min(remaining.Count("\r\n"u8), MaxHeaders));
        while (!remaining.IsEmpty)
        {
            if (!TryParseField(NextLine(ref remaining), out var field, out error))
            {
                return Result.Invalid;
            }

            if (headers.Count == MaxHeaders)
            {
                error = $"more than {MaxHeaders} header fields";
                return Result.Invalid;
            }

            headers.Add(field);
        }

        return (request ? TryParseRequestLine(startLine, headers, out head, out error) : TryParseStatusLine(startLine, headers, out head, out error))
            ? Result.Complete
            : Result.Invalid;
    }

    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> remaining)
    {
        var end = remaining.IndexOf("\r\n"u8);
        var line = remaining[..end];
        remaining = remaining[(end + 2)..];
        return line;
    }

    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, List<KeyValuePair<string, string>> headers, out HttpHead? head, out string? error)
    {
        head = null;
        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last == first)
        {
            error = "malformed request line";
            return false;
        }

        var method = line[..first];
        var target = line[(first + 1)..last];
        var version = line[(last + 1)..];
        // Visible ASCII only: a byte past it would be read as '?', which starts a query the client never sent.
        if (!IsToken(method) || target.IsEmpty || target.IndexOfAnyExceptInRange((byte)'!', (byte)'~') >= 0)
        {
            error = "malformed request line";
            return false;
        }

        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8))
        {
            error = "unsupported HTTP version";
            return false;
        }

        error = null;
        head = new HttpHead { Method = Encoding.ASCII.GetString(method), Target = Encoding.ASCII.GetString(target), Version = Encoding.ASCII.GetString(version), Headers = headers };
        return true;
    }

    private static bool TryParseStatusLine(ReadOnlySpan<byte> line, List<KeyValuePair<string, string>> headers, out HttpHead? head, out string? error)
    {
        head = null;
        error = "malformed status line";
        if (line.Length < 12 || !(line.StartsWith("HTTP/1.1 "u8) || line.StartsWith("HTTP/1.0 "u8)) || (line.Length > 12 && line[12] != ' '))
        {
            return false;
        }

        var code = line.Slice(9, 3);
        foreach (var digit in code)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        error = null;
        var status = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
        head = new HttpHead { Version = Encoding.ASCII.GetString(line[..8]), Status = status, Headers = headers };
        return true;
    }

    private static bool TryParseField(ReadOnlySpan<byte> line, out KeyValuePair<string, string> field, out string? error)
    {
        field = default;
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            // Also refuses obsolete line folding (a line starting with whitespace) and "Name : value".
            error = "malformed header field";
            return false;
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                error = "control character in a header value";
                return false;
            }
        }

        error = null;
        field = new(Name(line[..colon]), Encoding.Latin1.GetString(value));
        return true;
    }

    /// <summary>The field name, as one shared string when it is one of a handshake's usual ones spelled as usual.</summary>
    private static string Name(ReadOnlySpan<byte> name)
    {
        foreach (var (bytes, known) in KnownNames)
        {
            if (name.SequenceEqual(bytes))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    /// <summary>RFC 9110 token characters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            var ok = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
            {
                return false;
            }
        }

        return !span.IsEmpty;
    }
}
