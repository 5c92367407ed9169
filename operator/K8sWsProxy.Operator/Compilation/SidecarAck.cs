namespace K8sWsProxy.Operator.Compilation;

/// <summary>A sidecar's last answer on the config channel: <c>ack REVISION</c>, or <c>nack REVISION REASON</c>.</summary>
public sealed record SidecarAck(string Revision, string? RejectReason = null)
{
    public bool Rejected => RejectReason is not null;
}
