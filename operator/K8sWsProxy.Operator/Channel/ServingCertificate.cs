using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// The channel's serving certificate, read from its PEM files and read again when they change: cert-manager, or a
/// Secret volume whose content the kubelet swaps, rotates them in place. Kestrel asks on every handshake; the files
/// are looked at no more than once a second. A pair that does not load (half written, key and certificate not
/// matching) is logged and the certificate already serving stays.
/// </summary>
internal sealed class ServingCertificate
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;
    private long _nextCheck;

    /// <summary>Loads the files once; a bad pair throws here, so the operator does not start with it.</summary>
    public ServingCertificate(string certificateFile, string keyFile, TimeProvider time, ILogger logger)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _time = time;
        _logger = logger;
        _loadedStamps = Stamps();
        _current = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        _nextCheck = time.GetTimestamp() + (long)(CheckInterval.TotalSeconds * time.TimestampFrequency);
    }

    public X509Certificate2 Current
    {
        get
        {
            var now = _time.GetTimestamp();
            if (now >= Volatile.Read(ref _nextCheck))
            {
                ReloadIfChanged(now);
            }

            return Volatile.Read(ref _current);
        }
    }

    private void ReloadIfChanged(long now)
    {
        lock (_gate)
        {
            if (now < _nextCheck)
            {
                return;
            }

            _nextCheck = now + (long)(CheckInterval.TotalSeconds * _time.TimestampFrequency);
            var stamps = Stamps();
            if (stamps == _loadedStamps)
            {
                return;
            }

            // Tried once per change of the files: a broken pair is reported once, not on every handshake.
            _loadedStamps = stamps;
            try
            {
                var loaded = X509Certificate2.CreateFromPemFile(_certificateFile, _keyFile);
                Volatile.Write(ref _current, loaded);
                Log.ServingCertificateReloaded(_logger, loaded.Subject, loaded.NotAfter);
            }
            catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
            {
                Log.ServingCertificateRefused(_logger, _certificateFile, e.Message);
            }
        }
    }

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(_certificateFile), File.GetLastWriteTimeUtc(_keyFile));
}
