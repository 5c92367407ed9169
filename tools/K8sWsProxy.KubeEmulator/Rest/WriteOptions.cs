namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>The write query parameters that change what the server does: <c>dryRun=All</c> and <c>fieldValidation</c>.</summary>
internal sealed record WriteOptions(bool DryRun, FieldValidation FieldValidation);

internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}
