using System.Security.Cryptography;
using System.Text;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>RFC 6455 section 4: what a client must send, and what the upstream's answer must hold.</summary>
internal static class WebSocketHandshake
{
    private static readonly Refusal BadVersion = new(426, "unsupported Sec-WebSocket-Version: this proxy speaks 13", "bad_version");
    private static readonly Refusal BadKey = new(400, "missing or invalid Sec-WebSocket-Key", "bad_request");

    /// <summary>Version 13 and (for HTTP/1.1, where the key is not null) a key of 16 base64 bytes; else the refusal.</summary>
    public static Refusal? CheckRequest(string? version, string? key)
    {
        if (version?.Trim() != "13")
        {
            return BadVersion;
        }

        Span<byte> decoded = stackalloc byte[24];
        return key is null || (Convert.TryFromBase64String(key.Trim(), decoded, out var length) && length == 16) ? null : BadKey;
    }

    /// <summary>The Sec-WebSocket-Accept a server must answer <paramref name="key"/> with.</summary>
    public static string Accept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>
    /// Null when the upstream's 101 completes the client's handshake: the upgrade headers, the accept value for the
    /// client's key, a subprotocol the client was offered, extensions the client offered. Else what is wrong.
    /// </summary>
    /// <param name="extensionsOffered">False when the proxy removed the client's offer (routes that read messages).</param>
    public static string? CheckAnswer(Http1.HttpHead answer, Http1.HttpHead client, string? offeredProtocols, bool extensionsOffered)
    {
        if (!answer.HasToken("Upgrade", "websocket") || !answer.HasToken("Connection", "upgrade"))
        {
            return "no Upgrade: websocket in the 101";
        }

        if (answer["Sec-WebSocket-Accept"]?.Trim() != Accept(client["Sec-WebSocket-Key"]!))
        {
            return "Sec-WebSocket-Accept does not match the key";
        }

        if (answer["Sec-WebSocket-Protocol"] is { } protocol)
        {
            var offered = offeredProtocols?.Split(',', StringSplitOptions.TrimEntries) ?? client.Tokens("Sec-WebSocket-Protocol").ToArray();
            if (!offered.Contains(protocol.Trim(), StringComparer.Ordinal))
            {
                return "a subprotocol the client did not offer";
            }
        }

        if (answer.Count("Sec-WebSocket-Extensions") == 0)
        {
            return null; // the usual answer: nothing more to check
        }

        if (!extensionsOffered)
        {
            return "an extension the proxy did not offer";
        }

        var extensions = client.Tokens("Sec-WebSocket-Extensions").Select(ExtensionName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return answer.Tokens("Sec-WebSocket-Extensions").Select(ExtensionName).Any(e => !extensions.Contains(e))
            ? "an extension the client did not offer"
            : null;
    }

    /// <summary>Whether a 101 turned permessage-deflate on (RFC 7692): frames may then carry RSV1.</summary>
    public static bool Deflates(Http1.HttpHead answer) =>
        answer.Count("Sec-WebSocket-Extensions") > 0 && answer.Tokens("Sec-WebSocket-Extensions").Any(e => ExtensionName(e).Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase));

    private static string ExtensionName(string offer) => offer.Split(';', 2)[0].Trim();
}
