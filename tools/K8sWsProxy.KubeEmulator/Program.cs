using System.Globalization;
using System.Net;

namespace K8sWsProxy.KubeEmulator;

/// <summary>
/// <c>dotnet K8sWsProxy.KubeEmulator.dll [--port N] [--kubeconfig PATH] [--namespace NS] [--preload PATH]... [--bookmark-interval SECONDS]
/// [--service-address NAME.NAMESPACE.svc:PORT=127.0.0.1:PORT]...</c>
/// Prints the URL and the kubeconfig path, then serves until Ctrl-C or SIGTERM.
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: K8sWsProxy.KubeEmulator [--port N] [--kubeconfig PATH] [--namespace NS] [--preload FILE_OR_DIR]... [--bookmark-interval SECONDS]"
        + " [--service-address NAME.NAMESPACE.svc:PORT=127.0.0.1:PORT]...";

    public static async Task<int> Main(string[] args)
    {
        var options = new KubeEmulatorOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port):
                    options.Port = port;
                    break;
                case "--kubeconfig" when value is not null:
                    options.KubeconfigPath = value;
                    break;
                case "--namespace" when value is not null:
                    options.KubeconfigNamespace = value;
                    break;
                case "--preload" when value is not null:
                    options.Preload.Add(value);
                    break;
                case "--bookmark-interval" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds):
                    options.BookmarkInterval = TimeSpan.FromSeconds(seconds);
                    break;
                case "--service-address" when value?.Split('=', 2) is [var service, var address] && IPEndPoint.TryParse(address, out var endpoint):
                    options.ServiceAddresses[service] = endpoint;
                    break;
                default:
                    await Console.Error.WriteLineAsync(Usage);
                    return 2;
            }

            i++;
        }

        KubeApiEmulator emulator;
        try
        {
            emulator = await KubeApiEmulator.StartAsync(options);
        }
        catch (Exception e) when (e is Errors.ApiException or IOException or FormatException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"kube-emulator: cannot start: {e.Message}");
            return 1;
        }

        await using var running = emulator;
        Console.WriteLine($"kube-emulator listening on {emulator.Url}");
        Console.WriteLine($"kubeconfig: {emulator.KubeconfigPath}");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: dispose stops the server.
        }

        return 0;
    }
}
