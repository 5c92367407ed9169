using K8sWsProxy.KubeEmulator.Auth;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// The write query parameters that change what the server does: <c>dryRun=All</c>, <c>fieldValidation</c>, and
/// <c>fieldManager</c> (or the client's user agent) and <c>force</c> for field ownership; and the
/// <paramref name="Caller"/> admission webhooks are told about (null: the emulator's own writes, the admin's).
/// </summary>
internal sealed record WriteOptions(
    bool DryRun, FieldValidation FieldValidation, string FieldManager = "", string UserAgentManager = "unknown", bool Force = false, UserInfo? Caller = null)
{
    /// <summary>Who owns what this write changes: the named manager, else (as the real server does) the user agent's first word.</summary>
    public string Manager => FieldManager.Length > 0 ? FieldManager : UserAgentManager;
}

internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}
