using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>Two ends of a real TCP connection on 127.0.0.1 (a free port each time).</summary>
internal static class LoopbackPair
{
    public static async Task<(NetworkStream Connecting, NetworkStream Accepted)> ConnectAsync()
    {
        var (connecting, accepted) = await ConnectSocketsAsync();
        return (new NetworkStream(connecting, ownsSocket: true), new NetworkStream(accepted, ownsSocket: true));
    }

    public static async Task<(Socket Connecting, Socket Accepted)> ConnectSocketsAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connect = connecting.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        accepted.NoDelay = true;
        await connect;
        return (connecting, accepted);
    }
}
