namespace K8sWsProxy.Sidecar.Configuration;

/// <summary>What the sidecar answers for a document: applied (ack) or refused with reasons (nack).</summary>
public sealed record ApplyResult(string? Revision, IReadOnlyList<string> Reasons)
{
    public bool Accepted => Reasons.Count == 0;

    public static ApplyResult Ack(string revision) => new(revision, []);

    public static ApplyResult Nack(string? revision, IReadOnlyList<string> reasons) => new(revision, reasons);

    public override string ToString() => Accepted ? $"ack {Revision}" : $"nack {Revision} {string.Join("; ", Reasons)}";
}
