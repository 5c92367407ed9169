using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace K8sWsProxy.Bench.Harness;

/// <summary>
/// Forces a full, blocking GC in another .NET process through its diagnostics socket, the way dotnet-gcdump does:
/// an EventPipe session enabling the runtime provider's GCHeapCollect keyword makes the runtime collect, then the
/// session is stopped. Used to read our sidecar's resident memory with its garbage gone.
/// </summary>
internal static class DiagnosticsIpc
{
    private const ulong GcKeyword = 0x1;
    private const ulong GcHeapCollectKeyword = 0x800000;

    public static async Task<bool> ForceGcAsync(int pid, TimeSpan settle)
    {
        // Killed processes leave their sockets in /tmp and pids are reused: the newest for this pid is the live process's.
        var socketPath = new DirectoryInfo(Path.GetTempPath()).EnumerateFiles($"dotnet-diagnostic-{pid}-*-socket")
            .OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()?.FullName;
        if (socketPath is null)
        {
            return false;
        }

        try
        {
            using var session = await ConnectAsync(socketPath);
            await session.SendAsync(CollectTracing2Request(GcKeyword | GcHeapCollectKeyword, 4), SocketFlags.None);
            var header = new byte[28];
            var got = 0;
            while (got < header.Length)
            {
                var n = await session.ReceiveAsync(header.AsMemory(got), SocketFlags.None);
                if (n == 0)
                {
                    return false;
                }

                got += n;
            }

            if (header[16] != 0xFF || header[17] != 0x00)
            {
                return false;
            }

            var sessionId = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(20));

            // Drain the trace stream while the collection runs, so the runtime never blocks writing it.
            using var draining = new CancellationTokenSource();
            var drain = Task.Run(async () =>
            {
                var sink = new byte[64 * 1024];
                try
                {
                    while (await session.ReceiveAsync(sink, SocketFlags.None, draining.Token) > 0)
                    {
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                }
            });
            await Task.Delay(settle);
            using (var stop = await ConnectAsync(socketPath))
            {
                var payload = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(payload, sessionId);
                await stop.SendAsync(Message(0x02, 0x01, payload), SocketFlags.None);
                await stop.ReceiveAsync(new byte[64], SocketFlags.None);
            }

            draining.CancelAfter(TimeSpan.FromSeconds(2));
            await drain;
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<Socket> ConnectAsync(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return s;
    }

    /// <summary>EventPipe CollectTracing2: a 1 MB circular buffer, nettrace format, no rundown, one provider.</summary>
    internal static byte[] CollectTracing2Request(ulong keywords, uint level)
    {
        using var body = new MemoryStream();
        using var w = new BinaryWriter(body);
        w.Write(1u); // circular buffer MB
        w.Write(1u); // format: nettrace
        w.Write((byte)0); // no rundown
        w.Write(1u); // providers
        w.Write(keywords);
        w.Write(level);
        WriteString(w, "Microsoft-Windows-DotNETRuntime");
        WriteString(w, null);
        w.Flush();
        return Message(0x02, 0x03, body.ToArray());
    }

    /// <summary>A diagnostics IPC message: "DOTNET_IPC_V1\0", total size, command set, command id, reserved, payload.</summary>
    internal static byte[] Message(byte commandSet, byte commandId, byte[] payload)
    {
        var message = new byte[20 + payload.Length];
        Encoding.ASCII.GetBytes("DOTNET_IPC_V1\0").CopyTo(message, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(14), (ushort)message.Length);
        message[16] = commandSet;
        message[17] = commandId;
        payload.CopyTo(message, 20);
        return message;
    }

    private static void WriteString(BinaryWriter w, string? s)
    {
        if (s is null)
        {
            w.Write(0u);
            return;
        }

        w.Write((uint)(s.Length + 1));
        w.Write(Encoding.Unicode.GetBytes(s + "\0"));
    }
}
