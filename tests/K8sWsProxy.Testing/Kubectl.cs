using System.Diagnostics;
using System.Text;

namespace K8sWsProxy.KubeEmulator.Tests.Infrastructure;

/// <summary>
/// Runs the real kubectl (&lt;repo&gt;/.tools/bin/kubectl from `make deps`, else the one on PATH) against one
/// emulator, with its own HOME and cache folder so no discovery cache leaks between tests. Every run is bounded
/// in time; every background process is killed, with its children, on dispose.
/// </summary>
internal sealed class Kubectl : IDisposable
{
    private static readonly Lazy<string> Binary = new(FindBinary);
    private readonly string _home = Directory.CreateTempSubdirectory("kubectl-home-").FullName;
    private readonly string _kubeconfig;
    private readonly List<KubectlProcess> _background = [];

    public Kubectl(string kubeconfig) => _kubeconfig = kubeconfig;

    public async Task<KubectlResult> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<KubectlResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = new KubectlProcess(StartInfo(args));
        if (stdin is not null)
        {
            await process.Process.StandardInput.WriteAsync(stdin);
        }

        process.Process.StandardInput.Close();
        return await process.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts a long-running kubectl (get -w, wait, a blocking delete); it is killed on dispose if still running.</summary>
    public KubectlProcess Start(params string[] args)
    {
        var process = new KubectlProcess(StartInfo(args));
        process.Process.StandardInput.Close();
        _background.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _background)
        {
            process.Dispose();
        }

        Directory.Delete(_home, recursive: true);
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var info = new ProcessStartInfo(Binary.Value)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--kubeconfig");
        info.ArgumentList.Add(_kubeconfig);
        info.ArgumentList.Add("--cache-dir");
        info.ArgumentList.Add(Path.Combine(_home, "cache"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HOME"] = _home;
        info.Environment["KUBECONFIG"] = _kubeconfig;
        return info;
    }

    private static string FindBinary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "K8sWsProxy.sln")))
            {
                var tool = Path.Combine(dir.FullName, ".tools", "bin", "kubectl");
                if (File.Exists(tool))
                {
                    return tool;
                }

                break;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(p => Path.Combine(p, "kubectl"))
            .FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("kubectl not found: run `make deps` (it installs .tools/bin/kubectl)");
    }
}

internal sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>One kubectl process whose output is collected as it arrives.</summary>
internal sealed class KubectlProcess : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    public KubectlProcess(ProcessStartInfo info)
    {
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        Process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Waits until stdout contains <paramref name="text"/>; fails after the timeout.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || Process.HasExited)
            {
                // Exited processes may still be flushing; look once more before failing.
                await Task.Delay(50);
                if (Stdout.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new TimeoutException($"kubectl never printed \"{text}\"; stdout:\n{Stdout}\nstderr:\n{_stderr}");
            }

            await Task.Delay(25);
        }
    }

    public async Task<KubectlResult> WaitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', Process.StartInfo.ArgumentList)} did not finish in {timeout}");
        }

        // WaitForExitAsync returns once the output streams reached EOF, so the text is complete.
        lock (_gate)
        {
            return new KubectlResult(Process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(5000);
        }

        Process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }
}
