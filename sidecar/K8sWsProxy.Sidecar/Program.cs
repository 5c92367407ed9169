using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Contracts.Hosting;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Runtime;

// Relayed connections run on our own socket reactor (K8sWsProxy.Tunnel/Sockets). The sockets still on .NET's engine
// (the listeners' accepts, HTTP/2 upstreams, the operator channel) continue on the thread that saw them too, instead
// of a hop through the thread pool. Read once, before the first socket: so it is set before anything else. Code that
// can block (document apply) moves itself off those threads.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

// Exit codes: 0 after a clean shutdown, 2 for a bad command line or config document (nothing listens then).
var (options, errors) = SidecarOptions.Parse(args);
if (options is null)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine($"error: {error}");
    }

    Console.Error.WriteLine(SidecarOptions.Usage);
    return 2;
}

var loaded = options.ConfigFile is null ? null : ConfigDocumentLoader.LoadFile(options.ConfigFile);
if (loaded is { Ok: false })
{
    Console.Error.WriteLine($"error: {options.ConfigFile} is not a valid config document:");
    foreach (var error in loaded.Errors)
    {
        Console.Error.WriteLine($"  {error}");
    }

    return 2;
}

// The host is stopped by us, in order: refuse new WebSockets, close live ones with 1001, then stop listening.
using var stop = new StopSignal();

await using var host = await SidecarHost.StartAsync(options, loaded?.Document);

// Starting allocates about 9 MB that is garbage once the host runs (parsing, wiring, the first document), and the GC
// keeps what it committed for it. One trim gives it back, about 20 ms once at start: resident memory
// 29.1 -> 26.5 MiB cold and 30.7 -> 28.2 MiB after 100 connections came and went (measured, three starts each).
MemoryTrimmer.Trim();
Console.WriteLine($"ready plain={host.PlainUrl} tls={host.TlsUrl?.ToString() ?? "off"} admin={host.AdminUrl} revision={host.ActiveRevision}");
await stop.Requested;
await host.StopAsync();
return 0;
