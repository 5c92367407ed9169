using System.Text;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// The origin-form request target (RFC 9112 3.2.1) split into path and query. The path is normalised (dot segments
/// removed, as Kestrel does) and decoded for matching (every escape but %2F, which would turn into a separator).
/// </summary>
internal readonly record struct RequestTarget(string Path, string DecodedPath, string Query)
{
    public static bool TryParse(string target, out RequestTarget parsed)
    {
        parsed = default;
        if (target.Length == 0 || target[0] != '/')
        {
            return false;
        }

        var queryAt = target.IndexOf('?');
        var rawPath = queryAt < 0 ? target : target[..queryAt];
        var query = queryAt < 0 ? "" : target[queryAt..];
        if (rawPath.Contains('#') || query.Contains('#'))
        {
            return false;
        }

        var path = RemoveDotSegments(rawPath);
        if (!TryDecode(path, out var decoded))
        {
            return false;
        }

        parsed = new RequestTarget(path, decoded, query);
        return true;
    }

    /// <summary>RFC 3986 5.2.4, on the encoded path; the result keeps a leading slash.</summary>
    private static string RemoveDotSegments(string path)
    {
        if (!path.Contains("/.", StringComparison.Ordinal))
        {
            return path;
        }

        var output = new List<string>();
        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment == ".")
            {
                if (last)
                {
                    output.Add("");
                }
            }
            else if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                if (last)
                {
                    output.Add("");
                }
            }
            else
            {
                output.Add(segment);
            }
        }

        return "/" + string.Join('/', output);
    }

    private static bool TryDecode(string path, out string decoded)
    {
        decoded = path;
        if (!path.Contains('%'))
        {
            return true;
        }

        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] != '%')
            {
                bytes.Add((byte)path[i]);
                continue;
            }

            if (i + 2 >= path.Length || !IsHex(path[i + 1]) || !IsHex(path[i + 2]))
            {
                return false;
            }

            var value = Convert.ToByte(path.Substring(i + 1, 2), 16);
            if (value == (byte)'/')
            {
                bytes.AddRange("%2F"u8);
            }
            else
            {
                bytes.Add(value);
            }

            i += 2;
        }

        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
