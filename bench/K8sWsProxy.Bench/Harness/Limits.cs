using System.Runtime.InteropServices;

namespace K8sWsProxy.Bench.Harness;

/// <summary>Raises the file-descriptor limit (soft and, as root, hard) for the harness and every process it starts.</summary>
internal static partial class Limits
{
    private const int RlimitNofile = 7;

    public static (ulong Soft, ulong Hard) RaiseOpenFiles(ulong wanted)
    {
        if (GetRlimit(RlimitNofile, out var current) != 0)
        {
            return (0, 0);
        }

        var raised = new Rlimit { Current = Math.Max(current.Current, wanted), Max = Math.Max(current.Max, wanted) };
        if (SetRlimit(RlimitNofile, in raised) != 0)
        {
            // Not root: as far as the hard limit lets us.
            raised = new Rlimit { Current = Math.Min(wanted, current.Max), Max = current.Max };
            _ = SetRlimit(RlimitNofile, in raised);
        }

        _ = GetRlimit(RlimitNofile, out current);
        return (current.Current, current.Max);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);
}
