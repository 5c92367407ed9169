using System.Text.Json.Nodes;

namespace K8sWsProxy.Operator.Injection;

/// <summary>
/// The answer for one pod: the JSON Patch (RFC 6902) that injects the sidecar, or why nothing changes (skipped,
/// allowed), or why the pod is refused (a field of it would be overwritten).
/// </summary>
internal sealed record InjectionDecision(InjectionOutcome Outcome, JsonArray Patch, string Reason)
{
    public bool Allowed => Outcome != InjectionOutcome.Refused;

    public static InjectionDecision Inject(JsonArray patch) => new(InjectionOutcome.Injected, patch, "");

    public static InjectionDecision Skip(string reason) => new(InjectionOutcome.Skipped, [], reason);

    public static InjectionDecision Refuse(string reason) => new(InjectionOutcome.Refused, [], reason);
}
