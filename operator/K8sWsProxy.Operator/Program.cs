using K8sWsProxy.Contracts.Hosting;
using K8sWsProxy.Operator.Hosting;

// Exit codes: 0 after a clean shutdown, 2 for a bad command line (nothing starts then).
var (options, errors) = OperatorOptions.Parse(args, Environment.GetEnvironmentVariable);
if (options is null)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine($"error: {error}");
    }

    Console.Error.WriteLine(OperatorOptions.Usage);
    return 2;
}

using var stop = new StopSignal();

OperatorHost host;
try
{
    host = await OperatorHost.StartAsync(options);
}
catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or k8s.Exceptions.KubeConfigException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

await using (host)
{
    Console.WriteLine($"ready identity={options.Identity} {string.Join(' ', host.Addresses)}");
    await stop.Requested;
    await host.StopAsync();
}

return 0;
