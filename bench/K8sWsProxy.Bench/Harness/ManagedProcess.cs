using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Harness;

/// <summary>
/// A process the harness started, on the tests' <see cref="ChildProcess"/>: its output also goes to a log file, and
/// stopping it also kills what its tree left behind (old nginx or haproxy workers). Every one is registered, so
/// Ctrl-C, a failure or the end of the run stops whatever is still running.
/// </summary>
internal sealed class ManagedProcess
{
    private static readonly List<ManagedProcess> Running = [];
    private readonly ChildProcess _process;
    private readonly LogFile _log;

    private ManagedProcess(ChildProcess process, LogFile log)
    {
        _process = process;
        _log = log;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Name => _process.Name;

    /// <summary>Every output line as it arrives (on a reader thread), for observers that time events by their log lines.</summary>
    public event Action<string>? LineReceived
    {
        add => _process.LineReceived += value;
        remove => _process.LineReceived -= value;
    }

    public static ManagedProcess Start(string name, string file, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? env = null)
    {
        var arguments = args.ToList();
        var log = new LogFile(logPath);
        log.Write($"# {file} {string.Join(' ', arguments)}");
        lock (Running)
        {
            var managed = new ManagedProcess(ChildProcess.Start(file, arguments, environment: env, name: name, onLine: log.Write), log);
            Running.Add(managed);
            return managed;
        }
    }

    /// <summary>The first output line that matches; an exception after <paramref name="timeout"/> or when the process exits first.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) => _process.WaitForLineAsync(match, timeout);

    public void Signal(int signal) => _process.Signal(signal);

    /// <summary>For short-lived commands: the exit code (killed, and a <see cref="TimeoutException"/>, after <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            return await _process.WaitForExitAsync(timeout);
        }
        finally
        {
            Forget();
        }
    }

    /// <summary>Signal, wait up to <paramref name="grace"/>, then kill the whole tree.</summary>
    public async Task StopAsync(int signal = Signals.Term, TimeSpan? grace = null)
    {
        var tree = _process.HasExited ? [] : ProcFs.Tree(_process.Id);
        try
        {
            _process.Signal(signal);
            try
            {
                await _process.WaitForExitAsync(grace ?? TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // Killed with its tree.
            }

            // Children a master left behind (old nginx or haproxy workers).
            foreach (var pid in tree.Skip(1))
            {
                KillPid(pid);
            }
        }
        finally
        {
            Forget();
        }
    }

    /// <summary>Kills, by pid, every process still registered and its descendants: Ctrl-C and failure paths.</summary>
    public static void KillAll()
    {
        List<ManagedProcess> left;
        lock (Running)
        {
            left = [.. Running];
            Running.Clear();
        }

        foreach (var p in left.Where(p => !p.HasExited))
        {
            foreach (var pid in ProcFs.Tree(p.Pid).Reverse())
            {
                KillPid(pid);
            }
        }
    }

    private static void KillPid(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Gone already.
        }
    }

    private void Forget()
    {
        lock (Running)
        {
            Running.Remove(this);
        }

        _log.Close();
    }

    /// <summary>The process's output as it comes; lines after <see cref="Close"/> (a late reader thread) are dropped.</summary>
    private sealed class LogFile
    {
        private readonly StreamWriter _writer;
        private bool _closed;

        public LogFile(string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _writer = new StreamWriter(path, append: true) { AutoFlush = true };
        }

        public void Write(string line)
        {
            lock (_writer)
            {
                if (!_closed)
                {
                    _writer.WriteLine(line);
                }
            }
        }

        public void Close()
        {
            lock (_writer)
            {
                _closed = true;
                _writer.Dispose();
            }
        }
    }
}

internal static class Signals
{
    public const int Hup = 1;
    public const int Int = 2;
    public const int Quit = 3;
    public const int Kill = 9;
    public const int Usr1 = 10;
    public const int Usr2 = 12;
    public const int Term = 15;
}
