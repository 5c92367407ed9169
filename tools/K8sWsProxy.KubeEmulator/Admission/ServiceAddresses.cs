using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>
/// Where the emulator, which has no cluster network, dials a webhook: <c>name.namespace.svc:port</c> (or the host and
/// port of a <c>clientConfig.url</c>) to a listener on 127.0.0.0/8. A loopback address is dialled as it is; any other
/// host not in the map is not found, without a DNS lookup: the emulator never reaches beyond the machine.
/// </summary>
internal sealed class ServiceAddresses
{
    private readonly ConcurrentDictionary<string, IPEndPoint> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string hostAndPort, IPEndPoint endpoint)
    {
        var colon = hostAndPort.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(hostAndPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            throw new ArgumentException($"a service address is HOST:PORT, as in hook.demo.svc:443; got \"{hostAndPort}\"");
        }

        // Nothing but loopback: the emulator must never reach into a real network on a test's behalf.
        if (endpoint.AddressFamily != AddressFamily.InterNetwork || !IPAddress.IsLoopback(endpoint.Address))
        {
            throw new ArgumentException($"a service address must be on 127.0.0.0/8; got {endpoint} for {hostAndPort}");
        }

        _endpoints[hostAndPort] = endpoint;
    }

    /// <summary>The mapped endpoint for <paramref name="target"/>, or its loopback address; null when it is neither.</summary>
    public IPEndPoint? Resolve(DnsEndPoint target) =>
        _endpoints.TryGetValue($"{target.Host}:{target.Port.ToString(CultureInfo.InvariantCulture)}", out var endpoint) ? endpoint
        : IPAddress.TryParse(target.Host, out var address) && IPAddress.IsLoopback(address) ? new IPEndPoint(address, target.Port)
        : null;
}
