using K8sWsProxy.Fuzz;
using SharpFuzz;

// Coverage-guided fuzzing under afl-fuzz (`make fuzz-afl`): one target per run, named by the
// argument. An exception out of a target is a crash for afl-fuzz, a hang its timeout. Outside afl-fuzz the target
// runs once on standard input, which replays a crash: dotnet K8sWsProxy.Fuzz.dll frames < crashing-input.
Action<byte[]>? target = args is [var name] ? name switch
{
    "frames" => FrameTarget.Run,
    "assembler" => AssemblerTarget.Run,
    "handshake" => HandshakeTarget.Run,
    _ => null,
} : null;
if (target is null)
{
    Console.Error.WriteLine("usage: K8sWsProxy.Fuzz frames|assembler|handshake < input");
    return 2;
}

// The target runs in a child process that afl-fuzz's timeout can kill and the parent restarts: a hang or a stack
// overflow is then saved as such instead of ending the fuzzing (in-process runs were about 1.5x faster here).
Fuzzer.OutOfProcess.Run(stream =>
{
    using var input = new MemoryStream();
    stream.CopyTo(input);
    target(input.ToArray());
});
return 0;
