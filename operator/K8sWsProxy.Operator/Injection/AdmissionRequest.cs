using System.Text.Json.Nodes;

namespace K8sWsProxy.Operator.Injection;

/// <summary>The parts of an AdmissionReview's request the webhook reads.</summary>
internal sealed record AdmissionRequest(string Uid, string Group, string Kind, string Operation, string Namespace, JsonObject? Object)
{
    public bool IsPodCreate => Group.Length == 0 && Kind == "Pod" && Operation == "CREATE" && Object is not null;

    /// <summary>namespace/name, or namespace/generateName* for a pod a controller names on create.</summary>
    public string Subject
    {
        get
        {
            var metadata = Object?["metadata"];
            var name = JsonText.Of(metadata?["name"]) ?? JsonText.Of(metadata?["generateName"]) + "*";
            return $"{Namespace}/{name}";
        }
    }
}
