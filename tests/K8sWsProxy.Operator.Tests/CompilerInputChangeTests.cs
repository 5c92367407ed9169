namespace K8sWsProxy.Operator.Tests;

/// <summary>Which changes recompile every document: not the answer a sidecar leaves on its Pod, not a status write.</summary>
public sealed class CompilerInputChangeTests
{
    private static V1Pod Pod(Dictionary<string, string>? labels = null, Dictionary<string, string>? annotations = null, string uid = "u1", DateTime? deleting = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "chat-0",
            NamespaceProperty = "demo",
            Uid = uid,
            Labels = labels ?? new Dictionary<string, string> { ["app"] = "chat", ["k8swsproxy.io/sidecar"] = "true" },
            Annotations = annotations,
            DeletionTimestamp = deleting,
        },
        Status = new V1PodStatus { Phase = "Running", PodIP = "10.0.0.1" },
    };

    [Fact]
    public void An_answer_annotation_or_a_status_change_does_not_touch_what_the_compiler_reads()
    {
        var acked = Pod(annotations: new Dictionary<string, string> { ["k8swsproxy.io/config-revision"] = "sha256:abc" });
        Assert.False(ConfigCompiler.ReadsChange(Pod(), acked));
        var moved = Pod();
        moved.Status.PodIP = "10.0.0.2";
        Assert.False(ConfigCompiler.ReadsChange(Pod(), moved));
    }

    [Fact]
    public void Labels_identity_deletion_and_appearing_or_going_do()
    {
        Assert.True(ConfigCompiler.ReadsChange(Pod(), Pod(labels: new Dictionary<string, string> { ["app"] = "other", ["k8swsproxy.io/sidecar"] = "true" })));
        Assert.True(ConfigCompiler.ReadsChange(Pod(), Pod(labels: new Dictionary<string, string> { ["app"] = "chat" })));
        Assert.True(ConfigCompiler.ReadsChange(Pod(), Pod(uid: "u2")));
        Assert.True(ConfigCompiler.ReadsChange(Pod(), Pod(deleting: DateTime.UtcNow)));
        Assert.True(ConfigCompiler.ReadsChange(null, Pod()));
        Assert.True(ConfigCompiler.ReadsChange(Pod(), null));
    }

    [Fact]
    public void A_route_recompiles_on_a_new_generation_or_deletion_and_not_on_a_status_write()
    {
        static WebSocketRoute Route(long generation, WebSocketRouteStatus? status = null, DateTime? deleting = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = "chat", NamespaceProperty = "demo", Uid = "r1", Generation = generation, DeletionTimestamp = deleting },
            Status = status,
        };

        Assert.False(ConfigCompiler.ReadsChange(Route(3), Route(3, new WebSocketRouteStatus { ObservedGeneration = 3 })));
        Assert.True(ConfigCompiler.ReadsChange(Route(3), Route(4)));
        Assert.True(ConfigCompiler.ReadsChange(Route(3), Route(3, deleting: DateTime.UtcNow)));
        Assert.True(ConfigCompiler.ReadsChange(null, Route(1)));
    }
}
