using System.Text.Json;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Hosting;

namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>
/// The last document the sidecar accepted, kept on local disk so a restarted sidecar serves at once, before any
/// source answers. Written atomically (temporary file, then rename), readable by the sidecar's user only; a corrupt
/// file is reported and ignored.
/// </summary>
internal sealed class StateStore(SidecarOptions options, ILogger<StateStore> logger)
{
    private const string FileName = "last-good-document.json";

    private string? FilePath => options.StateDirectory is { } dir ? Path.Combine(dir, FileName) : null;

    public void Save(SidecarConfigDocument document)
    {
        if (FilePath is not { } path)
        {
            return;
        }

        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Owner-only: the document carries the private keys of its routes' Secrets. Created afresh, so a left-over
            // temporary file cannot lend it wider permissions.
            File.Delete(temporary);
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temporary, create))
            {
                JsonSerializer.Serialize(file, document, ConfigJson.Document);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StateNotSaved(logger, path, e.Message);
            // What was written of it would hold space on a full disk until the next save.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the next save deletes it first.
            }
        }
    }

    public SidecarConfigDocument? Load()
    {
        if (FilePath is not { } path || !File.Exists(path))
        {
            return null;
        }

        var loaded = ConfigDocumentLoader.LoadFile(path);
        if (!loaded.Ok)
        {
            Log.StateIgnored(logger, path, string.Join("; ", loaded.Errors));
            return null;
        }

        return loaded.Document;
    }
}
