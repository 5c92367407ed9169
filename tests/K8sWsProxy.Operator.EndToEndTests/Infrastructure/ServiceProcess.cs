
namespace K8sWsProxy.Operator.EndToEndTests.Infrastructure;

/// <summary>
/// A .NET app of this repository as a real process (dotnet APP.dll …, or the sidecar's executable) with single-line, timestamped debug logs;
/// killed by its own process id (never by name) on dispose or on <see cref="Kill"/>.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["DOTNET_gcServer"] = "0",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__LogLevel__K8sWsProxy"] = "Debug",
    };

    private readonly ChildProcess _process;

    private ServiceProcess(ChildProcess process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>stdout and stderr, interleaved as they came.</summary>
    public string Output => _process.Output;

    public static ServiceProcess Start(string assembly, IEnumerable<string> args) =>
        new(ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, assembly), .. args], environment: Environment));

    /// <summary>The shipped sidecar executable (Native AOT), with the same logging settings.</summary>
    public static ServiceProcess StartSidecar(IEnumerable<string> args) =>
        new(ChildProcess.Start(RepositoryPaths.SidecarExecutable, args, environment: Environment));

    /// <summary>Until the app prints its "ready …" line; fails with its output if it exits or takes too long.</summary>
    public Task WaitReadyAsync() => _process.LineAsync("ready ", TimeSpan.FromSeconds(30));

    /// <summary>SIGTERM, as Kubernetes stops a container; the exit code, or a failure if it does not exit in time.</summary>
    public Task<int> TerminateAsync(TimeSpan timeout)
    {
        _process.Signal(15);
        return _process.WaitForExitAsync(timeout);
    }

    /// <summary>SIGKILL: a crash, no goodbye.</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();
}
