using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

internal static class Ports
{
    public static IPEndPoint Any => new(IPAddress.Loopback, 0);

    /// <summary>A loopback port nothing listens on: connecting to it is refused at once.</summary>
    public static int Closed()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
