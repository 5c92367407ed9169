using System.Diagnostics;
using System.Text;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>
/// A process a test starts (a sidecar, a node or python peer): its output captured, signalled and waited for by its
/// id, killed with its children on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process) => _process = process;

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>tests/peers: the non-.NET peers (node `ws`, python3-websockets).</summary>
    public static string PeersDirectory => Path.Combine(RepositoryRoot, "tests", "peers");

    /// <summary>
    /// The sidecar as it ships: the Native AOT executable `make build` publishes (tests run the process that runs in
    /// production, not the JIT build).
    /// </summary>
    public static string SidecarExecutable
    {
        get
        {
            var path = Path.Combine(RepositoryRoot, ".build", "sidecar", "K8sWsProxy.Sidecar");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: `make build` publishes it");
        }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>Both streams, interleaved as they arrived.</summary>
    public string Output => Read(_output);

    public static ChildProcess Start(string program, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A peer from tests/peers, run in that folder.</summary>
    public static ChildProcess StartPeer(string program, params string[] args) => Start(program, args, PeersDirectory);

    /// <summary>The first output line starting with <paramref name="prefix"/>, without the prefix; fails if the process exits first.</summary>
    public async Task<string> LineAsync(string prefix, TimeSpan? timeout = null)
    {
        string? found = null;
        await Wait.UntilAsync(
            () => (found = Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null || _process.HasExited,
            $"'{prefix}' from {_process.StartInfo.FileName}",
            timeout);
        Assert.True(found is not null, $"{_process.StartInfo.FileName} exited: {Output}");
        return found![prefix.Length..].Trim();
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Ws.Timeout * 2);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (15: what Kubernetes sends a container it stops).</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    /// <summary>SIGKILL with its children: a crash, no goodbye.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
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

        lock (_output)
        {
            stream.AppendLine(line);
            _output.AppendLine(line);
        }
    }

    private string Read(StringBuilder stream)
    {
        lock (_output)
        {
            return stream.ToString();
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "K8sWsProxy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
