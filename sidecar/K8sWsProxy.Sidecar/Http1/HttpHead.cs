namespace K8sWsProxy.Sidecar.Http1;

/// <summary>A parsed HTTP/1.x request or response head: the start line and the header fields in wire order.</summary>
internal sealed class HttpHead
{
    /// <summary>Requests: the method. Responses: empty.</summary>
    public string Method { get; init; } = "";

    /// <summary>Requests: the request target as sent. Responses: empty.</summary>
    public string Target { get; init; } = "";

    /// <summary>"HTTP/1.1" or "HTTP/1.0".</summary>
    public string Version { get; init; } = "";

    /// <summary>Responses: the status code. Requests: 0.</summary>
    public int Status { get; init; }

    public required List<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>The first value of a header, or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in Headers)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            return null;
        }
    }

    /// <summary>A header's values comma-joined over its fields, as one field would carry them; null when absent.</summary>
    public string? Joined(string name)
    {
        string? joined = null;
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                joined = joined is null ? value : $"{joined}, {value}";
            }
        }

        return joined;
    }

    public IEnumerable<string> Values(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return value;
            }
        }
    }

    public int Count(string name)
    {
        var count = 0;
        foreach (var (key, _) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Whether a comma-separated header lists <paramref name="token"/> (case-insensitive), in any of its fields.</summary>
    /// <remarks>Every handshake asks this several times: it reads the fields in place, allocating nothing.</remarks>
    public bool HasToken(string name, string token)
    {
        foreach (var (key, value) in Headers)
        {
            if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var part in value.AsSpan().Split(','))
            {
                if (value.AsSpan(part).Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The comma-separated tokens of a header, over all its fields, in order.</summary>
    public IEnumerable<string> Tokens(string name) =>
        Values(name).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
