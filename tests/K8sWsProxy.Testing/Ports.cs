using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Testing;

public static class Ports
{
    /// <summary>Loopback, port 0: the listener takes a free port and says which.</summary>
    public static IPEndPoint Any => new(IPAddress.Loopback, 0);

    /// <summary>A port free on <paramref name="address"/> right now: for a process that must be told its port up front,
    /// and, while nothing takes it, a port where connecting is refused at once.</summary>
    public static int Free(IPAddress? address = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
