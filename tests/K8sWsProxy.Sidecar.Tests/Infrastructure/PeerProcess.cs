using System.Diagnostics;
using System.Text;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>A non-.NET WebSocket peer from tests/peers (node `ws`, python3-websockets), killed by its id on dispose.</summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PeerProcess(Process process) => _process = process;

    public static string PeersDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "K8sWsProxy.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "tests", "peers");
        }
    }

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public static PeerProcess Start(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = PeersDirectory };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var peer = new PeerProcess(process);
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>The first output line starting with <paramref name="prefix"/>, without the prefix.</summary>
    public async Task<string> LineAsync(string prefix)
    {
        string? found = null;
        await Wait.UntilAsync(() => (found = Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null || _process.HasExited, $"'{prefix}' from {_process.StartInfo.FileName}");
        Assert.True(found is not null, $"{_process.StartInfo.FileName} exited: {Output}");
        return found![prefix.Length..].Trim();
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Ws.Timeout * 2);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
