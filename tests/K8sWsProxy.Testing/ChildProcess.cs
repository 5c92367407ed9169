using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace K8sWsProxy.Testing;

/// <summary>
/// A process a test or the benchmark starts (a sidecar, the operator, kubectl, nginx, a node or python peer): its
/// output captured as it arrives, signalled, waited for and killed by its own id (never by name), with its
/// children on dispose.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>Every output line (stdout or stderr) as it arrives, on a reader thread.</summary>
    public event Action<string>? LineReceived;

    /// <summary>What messages call it: the program's file name unless told otherwise.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Completes when the process exits; nothing is killed for waiting on it.</summary>
    public Task Exited => _process.WaitForExitAsync();

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>Both streams, interleaved as they arrived.</summary>
    public string Output => Read(_output);

    /// <param name="stdin">Written to the process's input, which is then closed; null leaves the input the caller's.</param>
    /// <param name="onLine">Subscribed before the process starts, so it sees the first line too.</param>
    public static ChildProcess Start(
        string program,
        IEnumerable<string> args,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? stdin = null,
        string? name = null,
        Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, name ?? Path.GetFileName(program));
        child.LineReceived += onLine;
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        return child;
    }

    /// <summary>A peer from tests/peers, run in that folder.</summary>
    public static ChildProcess StartPeer(string program, params string[] args) => Start(program, args, RepositoryPaths.Peers);

    /// <summary>The first output line that <paramref name="match"/> accepts.</summary>
    /// <exception cref="InvalidOperationException">The process exited without printing it.</exception>
    /// <exception cref="TimeoutException">It did not come within <paramref name="timeout"/>.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        string? found = null;
        await Poll.UntilAsync(
            () => (found = Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match)) is not null || _process.HasExited,
            $"a line from {Name}",
            timeout);
        if (found is null)
        {
            // Exited: its last lines may still be on their way to us.
            _process.WaitForExit();
            found = Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
        }

        return found ?? throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before printing the line it was waited for:\n{Output}");
    }

    /// <summary>The first output line starting with <paramref name="prefix"/>, without the prefix.</summary>
    public async Task<string> LineAsync(string prefix, TimeSpan? timeout = null) =>
        (await WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout))[prefix.Length..].Trim();

    /// <summary>Until stdout holds <paramref name="text"/> (a watch printing a row).</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => Stdout.Contains(text, StringComparison.Ordinal), $"{Name} to print \"{text}\"; stdout so far:\n{Stdout}\nstderr:\n{Stderr}", timeout);

    /// <summary>The exit code; a process still running after <paramref name="timeout"/> is killed with its children.</summary>
    /// <exception cref="TimeoutException">It had to be killed.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Poll.DefaultTimeout * 2);
        try
        {
            // Returns once the output streams reached their end, so the captured text is complete.
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"{Name} {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (15: what Kubernetes sends a container it stops). Nothing once it has exited.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGKILL with its children: a crash, no goodbye.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(StringBuilder stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            stream.AppendLine(line);
            _output.AppendLine(line);
        }

        LineReceived?.Invoke(line);
    }

    private string Read(StringBuilder stream)
    {
        lock (_gate)
        {
            return stream.ToString();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
