using System.Diagnostics;
using System.Text;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>The sidecar as a real process (dotnet K8sWsProxy.Sidecar.dll …), stopped by its process id on dispose.</summary>
public sealed class SidecarProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The "ready plain=… tls=… admin=…" line, parsed.</summary>
    public IReadOnlyDictionary<string, string> Ready { get; private set; } = new Dictionary<string, string>();

    public static SidecarProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "K8sWsProxy.Sidecar.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var sidecar = new SidecarProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (sidecar._stdout)
            {
                sidecar._stdout.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("ready ", StringComparison.Ordinal))
            {
                sidecar._ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (sidecar._stderr)
            {
                sidecar._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sidecar;
    }

    public async Task WaitReadyAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(first == _ready.Task, $"sidecar did not become ready:\n{Stdout}\n{Stderr}");
        Ready = (await _ready.Task).Split(' ').Skip(1).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>What Kubernetes sends a container it stops.</summary>
    public void Terminate() => Assert.Equal(0, Kill(_process.Id, 15));

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
