using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace K8sWsProxy.Tunnel.Sockets;

/// <summary>
/// One thread that waits on epoll for every socket of the data plane (edge-triggered) and, for each edge, resumes
/// what was waiting on that socket right there, so a relayed message costs no thread hop. It takes the place of
/// .NET's socket engine for these sockets, which probes a socket with one more system call before each wait: here a
/// socket found empty is not read again until an edge says something came (what nginx does).
/// </summary>
internal sealed unsafe class SocketReactor
{
    private const int Capacity = 256;

    private static readonly Lazy<SocketReactor> s_shared = new(() => new SocketReactor());

    private readonly int _epoll = Syscalls.Create();

    // Edges for a socket that was removed (its stream disposed) find nothing here and are dropped.
    private readonly ConcurrentDictionary<ulong, SocketStream> _sockets = new();
    private long _lastId;

    private SocketReactor()
    {
        new Thread(Run) { IsBackground = true, Name = "wsproxy socket reactor" }.Start();
    }

    public static SocketReactor Shared => s_shared.Value;

    public ulong Add(int fd, SocketStream stream)
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        _sockets[id] = stream;
        Syscalls.Add(_epoll, fd, id);
        return id;
    }

    /// <summary>Before the socket closes (closing takes it out of epoll).</summary>
    public void Remove(ulong id) => _sockets.TryRemove(id, out _);

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(Capacity * Syscalls.EventSize));
        while (true)
        {
            var count = Syscalls.Wait(_epoll, events, Capacity);
            for (var i = 0; i < count; i++)
            {
                if (_sockets.TryGetValue(Syscalls.DataAt(events, i), out var stream))
                {
                    stream.OnEdges(Syscalls.EventsAt(events, i));
                }
            }
        }
    }
}
