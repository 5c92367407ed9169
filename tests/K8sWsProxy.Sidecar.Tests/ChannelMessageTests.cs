using K8sWsProxy.Contracts.Channel;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The config channel's messages as both sides read them: every type round-trips, a malformed one is named.</summary>
public sealed class ChannelMessageTests
{
    [Fact]
    public void A_health_report_round_trips()
    {
        var sent = ChannelMessage.Health(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["demo/chat"] = new Dictionary<string, string> { ["ws://127.0.0.1:1/a"] = "Connection refused" },
        });
        var json = Encoding.UTF8.GetString(sent.ToUtf8());
        Assert.Equal("""{"type":"health","upstreams":{"demo/chat":{"ws://127.0.0.1:1/a":"Connection refused"}}}""", json);

        var read = ChannelMessage.Parse(sent.ToUtf8(), out var error);
        Assert.Null(error);
        Assert.Equal("Connection refused", read!.Upstreams!["demo/chat"]["ws://127.0.0.1:1/a"]);
    }

    [Theory]
    [InlineData("""{"type":"health"}""", "a health message needs 'upstreams'")]
    [InlineData("""{"type":"ack"}""", "an ack message needs 'revision'")]
    [InlineData("""{"type":"gossip"}""", "unknown message type 'gossip'")]
    public void A_malformed_message_is_refused_with_what_is_wrong(string json, string expected)
    {
        Assert.Null(ChannelMessage.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Equal(expected, error);
    }
}
