using K8sWsProxy.Bench.Load;

namespace K8sWsProxy.Bench.Soak;

/// <summary>
/// One connection the soak holds: where it goes, whether it sends, its echo accounting, and the socket (null while it
/// reconnects). The sender and the receiver lock on it around the socket and the checker, so a message is either
/// counted on the connection that carried it or given up when that connection ends.
/// </summary>
internal sealed class HeldConnection(string route, Target target, bool active)
{
    public string Route { get; } = route;

    public Target Target { get; } = target;

    /// <summary>Sends messages at the route's rate; the others only hold the connection.</summary>
    public bool Active { get; } = active;

    public SequenceChecker Checker { get; } = new();

    public WsConnection? Socket { get; set; }

    /// <summary>Opened at the start (the ones that did not are reported and never retried).</summary>
    public bool Opened { get; set; }

    /// <summary>Ended under the client while the run went on (by the proxy or the upstream).</summary>
    public int Closes { get; set; }

    public int Reconnects { get; set; }

    /// <summary>The first bytes of each echo: sequence number and send time.</summary>
    public byte[] Head { get; } = new byte[16];
}
