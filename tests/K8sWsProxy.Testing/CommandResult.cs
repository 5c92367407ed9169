namespace K8sWsProxy.Testing;

/// <summary>How a command-line tool run by a test (kubectl, helm) ended: its exit code and what it printed.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Once <paramref name="tool"/> exits (killed, and a <see cref="TimeoutException"/>, after <paramref name="timeout"/>).</summary>
    public static async Task<CommandResult> OfAsync(ChildProcess tool, TimeSpan timeout)
    {
        var exit = await tool.WaitForExitAsync(timeout);
        return new CommandResult(exit, tool.Stdout, tool.Stderr);
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
