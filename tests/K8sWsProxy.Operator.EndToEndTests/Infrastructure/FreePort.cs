using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

internal static class FreePort
{
    /// <summary>A port free on <paramref name="address"/> right now, for a process that must be told its port up front.</summary>
    public static int On(IPAddress address)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
