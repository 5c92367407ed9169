using System.Text.Json;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Contracts.Channel;

/// <summary>
/// One JSON text frame on the config channel (a WebSocket the sidecar opens to the operator at
/// <see cref="ChannelProtocol.Path"/>). The operator sends <c>document</c>; the sidecar answers each with
/// <c>ack</c> or <c>nack</c> naming the document's revision, and sends <c>health</c> when the set of its routes'
/// failing upstream endpoints changes (and first on every connection).
/// </summary>
public sealed record ChannelMessage
{
    public const string DocumentType = "document";
    public const string AckType = "ack";
    public const string NackType = "nack";
    public const string HealthType = "health";

    public required string Type { get; init; }

    /// <summary>Set on <c>document</c>: everything the sidecar must serve.</summary>
    public SidecarConfigDocument? Document { get; init; }

    /// <summary>Set on <c>ack</c> and <c>nack</c>: the revision answered.</summary>
    public string? Revision { get; init; }

    /// <summary>Set on <c>nack</c>: why the document was refused, field by field.</summary>
    public IReadOnlyList<string>? Reasons { get; init; }

    /// <summary>
    /// Set on <c>health</c>: by route key ("namespace/name"), each endpoint URL that failed to connect or to answer
    /// the handshake within <see cref="ChannelProtocol.HealthWindow"/>, with its last error. A route or an endpoint not
    /// listed had no failure in that time.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Upstreams { get; init; }

    public static ChannelMessage ForDocument(SidecarConfigDocument document) => new() { Type = DocumentType, Document = document };

    public static ChannelMessage Ack(string revision) => new() { Type = AckType, Revision = revision };

    public static ChannelMessage Nack(string? revision, IReadOnlyList<string> reasons) => new() { Type = NackType, Revision = revision, Reasons = reasons };

    public static ChannelMessage Health(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> upstreams) => new() { Type = HealthType, Upstreams = upstreams };

    /// <summary>The same JSON rules as the document itself: camelCase, enums as names, unknown fields refused.</summary>
    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, ConfigJson.Message);

    /// <summary>The message, or null with the reason when the frame is not one.</summary>
    public static ChannelMessage? Parse(ReadOnlySpan<byte> utf8, out string? error)
    {
        try
        {
            var message = JsonSerializer.Deserialize(utf8, ConfigJson.Message);
            error = message switch
            {
                null => "empty message",
                { Type: DocumentType, Document: null } => "a document message needs 'document'",
                { Type: AckType or NackType, Revision: null } => $"an {message.Type} message needs 'revision'",
                { Type: HealthType, Upstreams: null } => "a health message needs 'upstreams'",
                { Type: DocumentType or AckType or NackType or HealthType } => null,
                _ => $"unknown message type '{message.Type}'",
            };
            return error is null ? message : null;
        }
        catch (JsonException e)
        {
            error = $"not a channel message: {e.Message}";
            return null;
        }
    }
}
