using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace K8sWsProxy.Tunnel.Sockets;

/// <summary>
/// The Linux calls the relay's sockets are driven with: epoll, and receive, send and connect on non-blocking sockets.
/// Not .NET's <see cref="Socket"/> methods: any of them makes the socket state for .NET's own engine (a few hundred
/// bytes per socket, kept for the connection's life), and its connect reports "in progress" by throwing.
/// </summary>
internal static unsafe partial class Syscalls
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Err = 0x008;
    public const uint Hup = 0x010;
    public const uint RdHup = 0x2000;
    public const uint EdgeTriggered = 1u << 31;

    private const int CtlAdd = 1;
    private const int CloExec = 0x80000;
    private const int EAgain = 11;
    private const int EInProgress = 115;
    private const int EIntr = 4;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    private const int MsgNoSignal = 0x4000;
    private const int SolSocket = 1;
    private const int SoError = 4;

    /// <summary>x86-64 packs struct epoll_event (12 bytes, data at 4); other ABIs align it (16 bytes, data at 8).</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = EventSize == 12 ? 4 : 8;

    public static int Create()
    {
        var fd = epoll_create1(CloExec);
        return fd >= 0 ? fd : throw new Win32Exception(Marshal.GetLastPInvokeError());
    }

    /// <summary>Watches <paramref name="fd"/> for reads and writes, edge-triggered: each change of readiness is told once.</summary>
    public static void Add(int epoll, int fd, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = In | Out | RdHup | EdgeTriggered;
        *(ulong*)(ev + DataOffset) = data;
        if (epoll_ctl(epoll, CtlAdd, fd, ev) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Blocks until events come; returns how many were written to <paramref name="events"/>.</summary>
    public static int Wait(int epoll, byte* events, int capacity)
    {
        while (true)
        {
            var n = epoll_wait(epoll, events, capacity, -1);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw new Win32Exception(errno);
            }
        }
    }

    public static uint EventsAt(byte* events, int i) => *(uint*)(events + (i * EventSize));

    public static ulong DataAt(byte* events, int i) => *(ulong*)(events + (i * EventSize) + DataOffset);

    public static void SetNonBlocking(int fd)
    {
        var flags = fcntl(fd, FGetFl, 0);
        if (flags < 0 || fcntl(fd, FSetFl, flags | ONonBlock) < 0)
        {
            throw new SocketException(ToSocketError(Marshal.GetLastPInvokeError()));
        }
    }

    /// <summary>Bytes received (0: the peer's end), or -1 when the socket holds nothing now.</summary>
    public static int Receive(SafeHandle socket, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return Transfer(socket, bytes, buffer.Length, receive: true);
        }
    }

    /// <summary>Bytes sent, or -1 when the socket's buffer is full.</summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return Transfer(socket, bytes, buffer.Length, receive: false);
        }
    }

    /// <summary>Starts a connect on a non-blocking socket: true once connected, false while in progress.</summary>
    public static bool StartConnect(int fd, SocketAddress address)
    {
        fixed (byte* sockaddr = address.Buffer.Span)
        {
            if (connect(fd, sockaddr, address.Size) == 0)
            {
                return true;
            }
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EInProgress ? false : throw new SocketException(ToSocketError(errno));
    }

    /// <summary>Throws what a finished non-blocking connect failed with (SO_ERROR), if it failed.</summary>
    public static void ThrowIfConnectFailed(int fd)
    {
        int errno;
        var length = sizeof(int);
        if (getsockopt(fd, SolSocket, SoError, &errno, &length) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
        }

        if (errno != 0)
        {
            throw new SocketException(ToSocketError(errno));
        }
    }

    // On Unix SocketException(int) takes a SocketError on Unix; these are the errno values a connect reports.
    private static int ToSocketError(int errno) => errno switch
    {
        111 => (int)SocketError.ConnectionRefused,
        113 => (int)SocketError.HostUnreachable,
        101 => (int)SocketError.NetworkUnreachable,
        110 => (int)SocketError.TimedOut,
        99 => (int)SocketError.AddressNotAvailable,
        104 => (int)SocketError.ConnectionReset,
        32 => (int)SocketError.Shutdown,
        107 => (int)SocketError.NotConnected,
        _ => (int)SocketError.SocketError,
    };

    // The handle is held for the call: a stream disposed meanwhile cannot have its descriptor number reused under it.
    private static int Transfer(SafeHandle socket, byte* bytes, int length, bool receive)
    {
        var held = false;
        try
        {
            socket.DangerousAddRef(ref held);
            var fd = (int)socket.DangerousGetHandle();
            while (true)
            {
                var n = receive ? recv(fd, bytes, (nuint)length, 0) : send(fd, bytes, (nuint)length, MsgNoSignal);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == EAgain)
                {
                    return -1;
                }

                if (errno != EIntr)
                {
                    var error = ToSocketError(errno);
                    throw new IOException($"{(receive ? "receive" : "send")} failed: {(SocketError)error}", new SocketException(error));
                }
            }
        }
        finally
        {
            if (held)
            {
                socket.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte* addr, int addrlen);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    // fcntl is variadic; its third argument is an int for these commands, passed in a register either way.
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, int* value, int* length);
}
