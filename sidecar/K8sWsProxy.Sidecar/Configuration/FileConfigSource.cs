using System.Security.Cryptography;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>
/// Standalone mode: re-reads the config file when its content, or that of a certificate file it names, changes, and
/// applies it through the applier. A
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

        // The config file and the certificate files it names: a rotated certificate file is a change too.
        IReadOnlyList<string> watched = [file, .. ConfigDocumentLoader.LoadFile(file).ReferencedFiles];
        var seen = Hash(watched);
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = Hash(watched);
            if (now == seen)
            {
                continue;
            }

            // What was loaded is at least as new as `now`: keeping `now` (not a hash taken after loading) means a file
            // rewritten while it was being read (a key, then its certificate) is seen as a change on the next tick.
            var loaded = ConfigDocumentLoader.LoadFile(file);
            IReadOnlyList<string> referenced = [file, .. loaded.ReferencedFiles];
            seen = referenced.SequenceEqual(watched) ? now : Hash(referenced);
            watched = referenced;
            if (!loaded.Ok)
            {
                Log.ConfigRefused(logger, "(file " + file + ")", string.Join("; ", loaded.Errors));
                continue;
            }

            await applier.ApplyAsync(loaded.Document!, stoppingToken);
        }
    }

    /// <summary>One hash over every watched file's content; a missing file hashes as empty.</summary>
    private static string Hash(IReadOnlyList<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file));
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Mid-replacement or gone: hashed as empty, so its reappearance is seen as a change.
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
