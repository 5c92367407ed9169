namespace K8sWsProxy.Operator.Compilation;

/// <summary>Condition types and reasons a route's status uses; kubectl users and alerts match on these strings.</summary>
public static class RouteReasons
{
    public const string AcceptedType = "Accepted";
    public const string ReadyType = "Ready";
    public const string UpstreamsReachableType = "UpstreamsReachable";

    public const string Accepted = "Accepted";
    public const string InvalidSpec = "InvalidSpec";
    public const string SecretNotFound = "SecretNotFound";
    public const string InvalidCertificate = "InvalidCertificate";
    public const string Conflict = "Conflict";

    public const string Synced = "Synced";
    public const string NoSidecars = "NoSidecars";
    public const string Pending = "Pending";
    public const string Rejected = "Rejected";

    public const string Reachable = "Reachable";
    public const string EndpointsFailing = "EndpointsFailing";
}
