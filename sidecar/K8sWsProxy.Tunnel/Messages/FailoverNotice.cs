using System.Buffers;
using System.Text.Json;

namespace K8sWsProxy.Tunnel.Messages;

/// <summary>
/// The JSON text messages a client gets around a failover when the route asks for them, shaped like Tremor's error
/// events: <c>{"error":"upstream lost: …","event_id":"…"}</c>, then <c>{"event":"upstream reconnected","event_id":"…"}</c>
/// with the same id, or nothing more before a 1014 close when the attempts run out.
/// </summary>
internal static class FailoverNotice
{
    public static byte[] Lost(string why, string eventId) => Frame("error", $"upstream lost: {why}", eventId);

    public static byte[] Reconnected(string eventId) => Frame("event", "upstream reconnected", eventId);

    private static byte[] Frame(string key, string text, string eventId)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString(key, text);
            writer.WriteString("event_id", eventId);
            writer.WriteEndObject();
        }

        return FrameWriter.Message(Opcode.Text, json.WrittenSpan, mask: false);
    }
}
