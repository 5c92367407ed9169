using K8sWsProxy.Tunnel;
using Microsoft.AspNetCore.Http.Features;

namespace K8sWsProxy.Sidecar.Proxying;

/// <summary>
/// Stand-ins for the server's upgrade features: YARP asks them for the client stream once the upstream said 101,
/// and gets the tunnel's frame-tracking wrapper around it. That moment also ends the handshake timeout.
/// </summary>
internal sealed class TunnelUpgradeFeature(IHttpUpgradeFeature inner, WebSocketTunnel? tunnel, Action upgraded) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        upgraded();
        var stream = await inner.UpgradeAsync();
        return tunnel?.WrapDownstream(stream) ?? stream;
    }
}

/// <summary>The HTTP/2 (RFC 8441) counterpart of <see cref="TunnelUpgradeFeature"/>.</summary>
internal sealed class TunnelExtendedConnectFeature(IHttpExtendedConnectFeature inner, WebSocketTunnel? tunnel, Action upgraded) : IHttpExtendedConnectFeature
{
    public bool IsExtendedConnect => inner.IsExtendedConnect;

    public string? Protocol => inner.Protocol;

    public async ValueTask<Stream> AcceptAsync()
    {
        upgraded();
        var stream = await inner.AcceptAsync();
        return tunnel?.WrapDownstream(stream) ?? stream;
    }
}
