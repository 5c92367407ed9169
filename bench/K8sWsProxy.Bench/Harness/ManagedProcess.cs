using System.Diagnostics;
using System.Runtime.InteropServices;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Harness;

/// <summary>
/// A process the harness started: output to a log file, stopped by pid (signal, grace, then kill of its tree). Every
/// one is registered, so Ctrl-C, a failure or the end of the run stops whatever is still running.
/// </summary>
internal sealed partial class ManagedProcess
{
    private static readonly List<ManagedProcess> Running = [];
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> waiters = [];

    private ManagedProcess(Process process, StreamWriter log)
    {
        this.process = process;
        this.log = log;
    }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Name { get; private init; } = "";

    /// <summary>Every output line as it arrives (on a reader thread), for observers that time events by their log lines.</summary>
    public event Action<string>? LineReceived;

    public static ManagedProcess Start(string name, string file, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {file} {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info };
        var managed = new ManagedProcess(process, log) { Name = name };
        process.OutputDataReceived += (_, e) => managed.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => managed.OnLine(e.Data);
        lock (Running)
        {
            process.Start();
            Running.Add(managed);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
            foreach (var w in waiters.Where(w => w.Match(line)).ToList())
            {
                w.Done.TrySetResult(line);
                waiters.Remove(w);
            }
        }

        LineReceived?.Invoke(line);
    }

    /// <summary>The first output line that matches, or an exception after <paramref name="timeout"/> or when the process exits.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (log)
        {
            waiters.Add((match, done));
        }

        var until = DateTime.UtcNow + timeout;
        while (!done.Task.IsCompleted)
        {
            if (process.HasExited)
            {
                await Task.Delay(200);
                if (!done.Task.IsCompleted)
                {
                    throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it was ready");
                }
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds} s");
            }

            await Task.WhenAny(done.Task, Task.Delay(50));
        }

        return await done.Task;
    }

    public void Signal(int signal)
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, signal);
        }
    }

    /// <summary>For short-lived commands: waits for the exit (killing it after <paramref name="timeout"/>), returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        process.WaitForExit();
        lock (Running)
        {
            Running.Remove(this);
        }

        lock (log)
        {
            log.Dispose();
        }

        return process.ExitCode;
    }

    /// <summary>Signal, wait up to <paramref name="grace"/>, then kill the whole tree.</summary>
    public async Task StopAsync(int signal = Signals.Term, TimeSpan? grace = null)
    {
        var tree = process.HasExited ? [] : ProcFs.Tree(process.Id);
        try
        {
            Signal(signal);
            using var wait = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            // Children a master left behind (old nginx or haproxy workers).
            foreach (var pid in tree.Skip(1))
            {
                _ = Kill(pid, Signals.Kill);
            }
        }
        finally
        {
            lock (Running)
            {
                Running.Remove(this);
            }

            lock (log)
            {
                log.Dispose();
            }
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

        foreach (var p in left)
        {
            try
            {
                if (!p.process.HasExited)
                {
                    foreach (var pid in ProcFs.Tree(p.process.Id).Reverse())
                    {
                        _ = Kill(pid, Signals.Kill);
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
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
