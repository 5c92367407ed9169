using System.Security.Cryptography;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>
/// Standalone mode: re-reads the config file when its content changes and applies it through the applier. A
/// half-written or invalid file is refused (logged) and the running document stays. Polling rather than a file
/// watcher, because Kubernetes replaces mounted ConfigMaps by swapping symlinks, which watchers miss.
/// </summary>
internal sealed class FileConfigSource(SidecarOptions options, ConfigApplier applier, ILogger<FileConfigSource> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ConfigFile is not { } file)
        {
            return;
        }

        var seen = Hash(file);
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = Hash(file);
            if (now is null || now == seen)
            {
                continue;
            }

            seen = now;
            var loaded = ConfigDocumentLoader.LoadFile(file);
            if (!loaded.Ok)
            {
                Log.ConfigRefused(logger, "(file " + file + ")", string.Join("; ", loaded.Errors));
                continue;
            }

            await applier.ApplyAsync(loaded.Document!, stoppingToken);
        }
    }

    private static string? Hash(string file)
    {
        try
        {
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
