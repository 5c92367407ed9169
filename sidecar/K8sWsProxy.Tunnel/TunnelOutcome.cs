namespace K8sWsProxy.Tunnel;

/// <summary>What ended a tunnel: the first close frame seen or sent, or the event that cut it.</summary>
/// <param name="CloseCode">Close code of that frame; 1006 when a client vanished without one; null when aborted.</param>
/// <param name="CloseReason">Close reason of that frame, if any.</param>
/// <param name="Initiator">Who started the end.</param>
/// <param name="Cause">Short reason for logs, e.g. "closed by client", "upstream lost", "idle timeout".</param>
public sealed record TunnelOutcome(int? CloseCode, string? CloseReason, CloseInitiator Initiator, string Cause)
{
    /// <summary>What a connection without frame tracking reports when it ends: nothing was seen.</summary>
    public static TunnelOutcome Untracked { get; } = new(null, null, CloseInitiator.Proxy, "untracked");
}
