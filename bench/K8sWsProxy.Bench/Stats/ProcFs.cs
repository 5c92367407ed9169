using System.Globalization;

namespace K8sWsProxy.Bench.Stats;

/// <summary>Reads what /proc says about processes: resident memory and children.</summary>
internal static class ProcFs
{
    /// <summary>VmRSS in bytes from the text of /proc/PID/status; null when absent.</summary>
    public static long? ParseVmRssBytes(string status)
    {
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line["VmRSS:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                var unit = parts.Length > 1 ? parts[1] : "kB";
                return unit.ToUpperInvariant() switch
                {
                    "KB" => value * 1024,
                    "MB" => value * 1024 * 1024,
                    "B" => value,
                    _ => null,
                };
            }
        }

        return null;
    }

    /// <summary>The parent pid from the text of /proc/PID/stat (the field after the parenthesised command).</summary>
    public static int? ParseParentPid(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : null;
    }

    /// <summary>utime + stime, in clock ticks, from the text of /proc/PID/stat (fields 14 and 15).</summary>
    public static long? ParseCpuTicks(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }

    /// <summary>CPU time used so far by a process and its descendants, in seconds.</summary>
    public static double TreeCpuSeconds(int root) => Tree(root).Sum(CpuSeconds);

    /// <summary>CPU time used so far by one process (all its threads), in seconds (USER_HZ = 100 on Linux); 0 when it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            return (ParseCpuTicks(File.ReadAllText($"/proc/{pid}/stat")) ?? 0) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static readonly Dictionary<int, FileStream> StatusFiles = [];

    /// <summary>
    /// VmRSS of one process, 0 when it is gone. The /proc file stays open and is re-read from the start, so a reading
    /// still works when the machine is out of file descriptors (10,000 connections get close to that).
    /// </summary>
    public static long RssBytes(int pid)
    {
        lock (StatusFiles)
        {
            try
            {
                if (!StatusFiles.TryGetValue(pid, out var file))
                {
                    StatusFiles[pid] = file = new FileStream($"/proc/{pid}/status", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
                }

                file.Position = 0;
                using var reader = new StreamReader(file, leaveOpen: true);
                var rss = ParseVmRssBytes(reader.ReadToEnd());
                if (rss is null)
                {
                    StatusFiles.Remove(pid);
                    file.Dispose();
                }

                return rss ?? 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (StatusFiles.Remove(pid, out var stale))
                {
                    stale.Dispose();
                }

                return 0;
            }
        }
    }

    /// <summary>Open file descriptors of one process (entries of /proc/PID/fd); 0 when it is gone or unreadable.</summary>
    public static int OpenDescriptors(int pid)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>A process and all its descendants.</summary>
    public static IReadOnlyList<int> Tree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (ParseParentPid(File.ReadAllText(Path.Combine(dir, "stat"))) is { } ppid)
                {
                    parents[pid] = ppid;
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        }

        return tree;
    }

    /// <summary>Resident memory of a process and its descendants (nginx and haproxy keep a master and workers).</summary>
    public static long TreeRssBytes(int root) => Tree(root).Sum(RssBytes);
}
