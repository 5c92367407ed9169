using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace K8sWsProxy.Tunnel.Sockets;

/// <summary>
/// A socket descriptor the relay owns outright, closed with close(2) once no call uses it. Taken from a
/// <see cref="Socket"/> so that the connection does not keep that object (and the addresses it caches) for its life;
/// and .NET's own handle, released on its own, closes abortively (a reset instead of the answer's last bytes).
/// </summary>
internal sealed class SocketHandle : SafeHandleMinusOneIsInvalid
{
    private SocketHandle()
        : base(ownsHandle: true)
    {
    }

    public int Fd => (int)handle;

    /// <summary>The socket's descriptor; the socket no longer owns it, and is left to the GC without closing it.</summary>
    public static SocketHandle TakeFrom(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var taken = new SocketHandle();
        taken.SetHandle(socket.SafeHandle.DangerousGetHandle());
        socket.SafeHandle.SetHandleAsInvalid();
        GC.SuppressFinalize(socket);
        return taken;
    }

    protected override bool ReleaseHandle() => Syscalls.Close(Fd) == 0;
}
