namespace K8sWsProxy.Operator.Injection;

/// <summary>What the webhook did with a pod; the metric's result label is its name in lower case.</summary>
internal enum InjectionOutcome
{
    Injected,
    Skipped,
    Refused,
}
