using System.Globalization;
using System.Net;
using System.Net.Sockets;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Stats;

namespace K8sWsProxy.Bench.Systems;

/// <summary>One of the compared systems: started, measured through <see cref="Target"/>, reloaded, stopped.</summary>
internal abstract class SystemUnderTest(SystemSettings settings)
{
    protected SystemSettings Settings { get; } = settings;

    public abstract string Name { get; }

    public abstract Target Target { get; }

    /// <summary>The proxy's main process (null for the direct connection).</summary>
    public abstract ManagedProcess? Process { get; }

    public virtual bool CanReload => true;

    public abstract Task StartAsync(CancellationToken cancel);

    /// <summary>Applies config change number <paramref name="n"/> and waits until the proxy says it took it.</summary>
    public abstract Task<bool> ReloadAsync(int n, CancellationToken cancel);

    /// <summary>Lets the proxy's memory settle before a reading (ours: a forced full GC).</summary>
    public virtual Task<string> SettleMemoryAsync() => Task.FromResult("");

    public long ResidentBytes() => Process is { HasExited: false } p ? ProcFs.TreeRssBytes(p.Pid) : 0;

    /// <summary>The proxy's processes now (master and workers), to read their memory later without listing /proc again.</summary>
    public IReadOnlyList<int> Pids() => Process is { HasExited: false } p ? ProcFs.Tree(p.Pid) : [];

    /// <summary>CPU seconds the proxy has used so far (0 for the direct connection).</summary>
    public double CpuSeconds() => Process is { HasExited: false } p ? ProcFs.TreeCpuSeconds(p.Pid) : 0;

    public int ProcessCount() => Process is { HasExited: false } p ? ProcFs.Tree(p.Pid).Count : 0;

    public virtual async Task StopAsync()
    {
        if (Process is { } p)
        {
            await p.StopAsync(Signals.Term, TimeSpan.FromSeconds(5));
        }
    }

    protected string Dir(string name)
    {
        var d = Path.Combine(Settings.WorkDirectory, name);
        Directory.CreateDirectory(d);
        return d;
    }

    protected static IEnumerable<string> Pinned(string cpus, string file, params string[] args) => ["-c", cpus, file, .. args];

    /// <summary>Waits until something accepts on the port.</summary>
    protected static async Task WaitForPortAsync(int port, ManagedProcess process, TimeSpan timeout, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(IPAddress.Loopback, port, cancel);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until && !process.HasExited)
            {
                await Task.Delay(50, cancel);
            }
        }
    }

    /// <summary>The workers of <paramref name="master"/> now (its descendants): a reload shows as one that was not there before.</summary>
    protected static HashSet<int> Workers(ManagedProcess master) => ProcFs.Tree(master.Pid).Skip(1).ToHashSet();

    /// <summary>True once <paramref name="master"/> runs a worker not in <paramref name="before"/>; false after <paramref name="within"/>.</summary>
    protected static async Task<bool> NewWorkerAsync(ManagedProcess master, HashSet<int> before, TimeSpan within, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + within;
        while (DateTime.UtcNow < until)
        {
            if (Workers(master).Any(p => !before.Contains(p)))
            {
                return true;
            }

            await Task.Delay(10, cancel);
        }

        return false;
    }

    protected static string S(int v) => v.ToString(CultureInfo.InvariantCulture);
}
