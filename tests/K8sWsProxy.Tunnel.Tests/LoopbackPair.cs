using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>Two ends of a real TCP connection on 127.0.0.1 (a free port each time).</summary>
internal static class LoopbackPair
{
    public static async Task<(NetworkStream Connecting, NetworkStream Accepted)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connect = connecting.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        accepted.NoDelay = true;
        await connect;
        return (new NetworkStream(connecting, ownsSocket: true), new NetworkStream(accepted, ownsSocket: true));
    }
}
