namespace K8sWsProxy.Sidecar.Tests;

/// <summary>Peers that are not .NET on both sides: node's `ws` as the client, python3-websockets as the upstream.</summary>
public sealed class PeerInteropTests
{
    [Fact]
    public async Task Node_client_through_the_proxy_to_a_python_upstream()
    {
        using var upstream = ChildProcess.StartPeer("/usr/bin/python3", "py_upstream.py");
        var port = await upstream.LineAsync("port ");
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: interop, match: {path: /chat}, upstream: {endpoints: [{url: "ws://127.0.0.1:{{{port}}}/"}]}, websocket: {subprotocols: [chat.v1]}}
            """);

        using var client = ChildProcess.StartPeer("node", "ws-client.mjs", sidecar.Ws("/chat").ToString());
        var exit = await client.WaitForExitAsync();
        Assert.True(exit == 0, client.Output);
        using var seen = JsonDocument.Parse(client.Output.Trim().Split('\n')[^1]);
        Assert.Equal("chat.v1", seen.RootElement.GetProperty("protocol").GetString());
        Assert.Contains("permessage-deflate", seen.RootElement.GetProperty("extensions").GetString(), StringComparison.Ordinal);
        Assert.Equal("node says bye", seen.RootElement.GetProperty("close").GetProperty("reason").GetString());
        // The python upstream saw the node client's close code and reason, relayed by the proxy.
        Assert.Equal("4000 node says bye", await upstream.LineAsync("close "));
    }
}
