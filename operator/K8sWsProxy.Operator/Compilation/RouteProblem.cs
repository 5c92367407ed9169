namespace K8sWsProxy.Operator.Compilation;

/// <summary>One reason a route is not accepted, on the spec field the user has to fix.</summary>
internal sealed record RouteProblem(string Reason, string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
