namespace K8sWsProxy.Operator.Tests;

public sealed class RouteStatusCalculatorTests
{
    private const string Revision = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly DateTime T0 = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly PodRef[] Pods = [new("demo", "chat-0", "u0"), new("demo", "chat-1", "u1"), new("demo", "chat-2", "u2")];

    private static readonly WebSocketRoute Route = new() { Metadata = new V1ObjectMeta { Name = "chat", NamespaceProperty = "demo", Generation = 3 } };

    private static RouteVerdict Verdict(int pods, Acceptance? accepted = null) =>
        new("demo", "chat", accepted ?? Acceptance.Ok, Revision, [.. Pods.Take(pods)]);

    /// <summary>A document that holds demo/chat at <paramref name="chat"/> (null: not at all) and another route.</summary>
    private static DocumentRoutes Doc(string name, string? chat = Revision) =>
        new(name, chat is null ? new Dictionary<string, string> { ["demo/other"] = "sha256:other" } : new Dictionary<string, string> { ["demo/chat"] = chat, ["demo/other"] = "sha256:other" });

    private static SidecarReport Serving(string doc, string? chat = Revision) => new(Doc(doc, chat));

    private static Dictionary<string, SidecarReport> Acks(params (int Pod, SidecarReport Answer)[] answers) =>
        answers.ToDictionary(a => Pods[a.Pod].Key, a => a.Answer);

    private static V1Condition Ready(WebSocketRouteStatus status) => status.Conditions.Single(c => c.Type == RouteReasons.ReadyType);

    private static V1Condition Accepted(WebSocketRouteStatus status) => status.Conditions.Single(c => c.Type == RouteReasons.AcceptedType);

    [Fact]
    public void Every_sidecar_on_its_revision_is_ready()
    {
        var status = RouteStatusCalculator.Compute(Route, Verdict(3), Acks((0, Serving("doc-0")), (1, Serving("doc-1")), (2, Serving("doc-2"))), null, T0);

        Assert.Equal(3, status.ObservedGeneration);
        Assert.Equal(Revision, status.Revision);
        Assert.Equal(new SidecarCounts { Selected = 3, Synced = 3, Summary = "3/3" }, status.Sidecars);
        Assert.Equal(("True", RouteReasons.Synced, "3/3 sidecars on revision sha256:0123456789ab"), (Ready(status).Status, Ready(status).Reason, Ready(status).Message));
        Assert.Equal(("True", RouteReasons.Accepted), (Accepted(status).Status, Accepted(status).Reason));
        Assert.All(status.Conditions, c => Assert.Equal(3, c.ObservedGeneration));
        Assert.All(status.Conditions, c => Assert.Equal(T0, c.LastTransitionTime));
    }

    [Fact]
    public void Sidecars_still_on_an_old_revision_or_silent_are_pending()
    {
        var status = RouteStatusCalculator.Compute(Route, Verdict(3), Acks((0, Serving("doc-0")), (1, Serving("doc-1")), (2, Serving("old", "sha256:old"))), null, T0);

        Assert.Equal("2/3", status.Sidecars.Summary);
        Assert.Equal(("False", RouteReasons.Pending, "2/3 sidecars on revision sha256:0123456789ab"), (Ready(status).Status, Ready(status).Reason, Ready(status).Message));
        Assert.Equal(RouteReasons.Pending, Ready(RouteStatusCalculator.Compute(Route, Verdict(3), Acks(), null, T0)).Reason);
    }

    [Fact]
    public void A_nack_of_the_current_revision_is_rejected_with_its_reason()
    {
        var acks = Acks(
            (0, Serving("doc-0")),
            (1, new SidecarReport(Doc("doc-1", "sha256:old"), Doc("doc-1b"), "routes[0].tls: bad key")),
            (2, new SidecarReport(null, Doc("doc-2b"), "other")));
        var status = RouteStatusCalculator.Compute(Route, Verdict(3), acks, null, T0);

        Assert.Equal(1, status.Sidecars.Synced);
        Assert.Equal(("False", RouteReasons.Rejected), (Ready(status).Status, Ready(status).Reason));
        Assert.Equal("sidecar demo/chat-1 rejected document doc-1b (and 1 more): routes[0].tls: bad key", Ready(status).Message);
    }

    [Fact]
    public void A_nack_of_a_document_with_an_older_revision_of_the_route_only_leaves_it_pending()
    {
        var status = RouteStatusCalculator.Compute(Route, Verdict(1), Acks((0, new SidecarReport(null, Doc("old", "sha256:old"), "broken"))), null, T0);

        Assert.Equal(RouteReasons.Pending, Ready(status).Reason);
    }

    [Fact]
    public void A_refused_document_does_not_unsync_a_route_the_sidecar_still_serves()
    {
        // Another route's change was refused; the sidecar goes on serving the document that holds this one.
        var answer = new SidecarReport(Doc("doc-0"), Doc("doc-0b"), "routes[1]: bad");
        var status = RouteStatusCalculator.Compute(Route, Verdict(1), Acks((0, answer)), null, T0);

        Assert.Equal(("True", RouteReasons.Synced, "1/1"), (Ready(status).Status, Ready(status).Reason, status.Sidecars.Summary));
    }

    [Fact]
    public void A_sidecar_is_synced_on_the_route_not_on_its_whole_document()
    {
        // Three different documents (other routes differ), the same revision of this route in each: 3/3.
        var status = RouteStatusCalculator.Compute(Route, Verdict(3), Acks((0, Serving("a")), (1, Serving("b")), (2, Serving("c"))), null, T0);
        Assert.Equal(("True", "3/3"), (Ready(status).Status, status.Sidecars.Summary));

        // A document without the route (it lost a conflict there, or is older than the route): not synced on that pod.
        var without = RouteStatusCalculator.Compute(Route, Verdict(2), Acks((0, Serving("a")), (1, Serving("b", chat: null))), null, T0);
        Assert.Equal(("False", RouteReasons.Pending, "1/2"), (Ready(without).Status, Ready(without).Reason, without.Sidecars.Summary));
    }

    [Fact]
    public void No_selected_sidecar_is_not_ready()
    {
        var status = RouteStatusCalculator.Compute(Route, Verdict(0), Acks(), null, T0);

        Assert.Equal("0/0", status.Sidecars.Summary);
        Assert.Equal(("False", RouteReasons.NoSidecars), (Ready(status).Status, Ready(status).Reason));
        Assert.Equal("True", Accepted(status).Status);
    }

    [Theory]
    [InlineData(RouteReasons.InvalidSpec)]
    [InlineData(RouteReasons.SecretNotFound)]
    [InlineData(RouteReasons.InvalidCertificate)]
    [InlineData(RouteReasons.Conflict)]
    public void A_route_not_accepted_is_not_ready_for_the_same_reason(string reason)
    {
        var verdict = Verdict(2, new Acceptance(false, reason, "spec.x: wrong")) with { Revision = null };
        var status = RouteStatusCalculator.Compute(Route, verdict, Acks((0, Serving("doc-0")), (1, Serving("doc-1"))), null, T0);

        Assert.Null(status.Revision);
        Assert.Equal(("False", reason, "spec.x: wrong"), (Accepted(status).Status, Accepted(status).Reason, Accepted(status).Message));
        Assert.Equal(("False", reason, "spec.x: wrong"), (Ready(status).Status, Ready(status).Reason, Ready(status).Message));
        Assert.Equal("0/2", status.Sidecars.Summary);
    }

    [Fact]
    public void Last_transition_time_moves_only_when_the_condition_status_changes()
    {
        var pending = RouteStatusCalculator.Compute(Route, Verdict(2), Acks((0, Serving("doc-0"))), null, T0);
        var stillPending = RouteStatusCalculator.Compute(Route, Verdict(2), Acks(), pending, T0.AddMinutes(1));
        var ready = RouteStatusCalculator.Compute(Route, Verdict(2), Acks((0, Serving("doc-0")), (1, Serving("doc-1"))), stillPending, T0.AddMinutes(2));

        Assert.Equal(T0, Ready(stillPending).LastTransitionTime);
        Assert.Equal("0/2 sidecars on revision sha256:0123456789ab", Ready(stillPending).Message);
        Assert.Equal(T0.AddMinutes(2), Ready(ready).LastTransitionTime);
        Assert.Equal(T0, Accepted(ready).LastTransitionTime);
    }

    [Fact]
    public void Transition_times_are_whole_seconds_as_the_API_server_keeps_them()
    {
        var status = RouteStatusCalculator.Compute(Route, Verdict(0), Acks(), null, T0.AddMilliseconds(987));

        Assert.All(status.Conditions, c => Assert.Equal(T0, c.LastTransitionTime));
    }

    [Fact]
    public void An_unchanged_world_gives_an_equal_status_so_nothing_is_written()
    {
        var acks = Acks((0, Serving("doc-0")), (1, Serving("doc-1")));
        var first = RouteStatusCalculator.Compute(Route, Verdict(2), acks, null, T0);
        var again = RouteStatusCalculator.Compute(Route, Verdict(2), acks, first, T0.AddHours(1));

        Assert.Equal(first, again);
        Assert.NotSame(first.Conditions, again.Conditions);
    }

    [Fact]
    public void A_new_generation_or_one_more_ack_is_a_change()
    {
        var first = RouteStatusCalculator.Compute(Route, Verdict(2), Acks((0, Serving("doc-0"))), null, T0);
        var newer = new WebSocketRoute { Metadata = new V1ObjectMeta { Name = "chat", NamespaceProperty = "demo", Generation = 4 } };

        Assert.NotEqual(first, RouteStatusCalculator.Compute(newer, Verdict(2), Acks((0, Serving("doc-0"))), first, T0));
        Assert.NotEqual(first, RouteStatusCalculator.Compute(Route, Verdict(2), Acks((0, Serving("doc-0")), (1, Serving("doc-1"))), first, T0));
    }

    private static V1Condition Reachable(WebSocketRouteStatus status) => status.Conditions.Single(c => c.Type == RouteReasons.UpstreamsReachableType);

    private static SidecarReport Failing(string doc, params (string Url, string Error)[] endpoints) =>
        Serving(doc) with { Failing = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["demo/chat"] = endpoints.ToDictionary(e => e.Url, e => e.Error), ["demo/other"] = new Dictionary<string, string> { ["ws://x/"] = "elsewhere" } } };

    [Fact]
    public void Failing_endpoints_are_their_own_condition_and_leave_Ready_alone()
    {
        var answers = Acks(
            (0, Failing("doc-0", ("ws://a/", "Connection refused"), ("ws://b/", "answered the handshake with 503"))),
            (1, Failing("doc-1", ("ws://a/", "Connection refused"))),
            (2, Serving("doc-2")));
        var status = RouteStatusCalculator.Compute(Route, Verdict(3), answers, null, T0);

        Assert.Equal(("True", RouteReasons.Synced), (Ready(status).Status, Ready(status).Reason));
        Assert.Equal(("False", RouteReasons.EndpointsFailing), (Reachable(status).Status, Reachable(status).Reason));
        Assert.Equal("ws://a/ fails on 2/3 sidecars (Connection refused); ws://b/ fails on 1/3 sidecars (answered the handshake with 503)", Reachable(status).Message);
        Assert.Equal([new UpstreamFailure("ws://a/", 2, "Connection refused"), new UpstreamFailure("ws://b/", 1, "answered the handshake with 503")], status.UpstreamFailures);

        var healthy = RouteStatusCalculator.Compute(Route, Verdict(3), Acks((0, Serving("doc-0")), (1, Serving("doc-1")), (2, Serving("doc-2"))), status, T0.AddMinutes(2));
        Assert.Equal(("True", RouteReasons.Reachable), (Reachable(healthy).Status, Reachable(healthy).Reason));
        Assert.Empty(healthy.UpstreamFailures);
        Assert.Equal(T0.AddMinutes(2), Reachable(healthy).LastTransitionTime);
        Assert.Equal(T0, Ready(healthy).LastTransitionTime);
    }

    [Fact]
    public void Reachability_is_unknown_while_the_route_is_on_no_sidecar()
    {
        Assert.Equal(("Unknown", RouteReasons.NoSidecars), (Reachable(RouteStatusCalculator.Compute(Route, Verdict(0), Acks(), null, T0)).Status, Reachable(RouteStatusCalculator.Compute(Route, Verdict(0), Acks(), null, T0)).Reason));
        var refused = Verdict(2, new Acceptance(false, RouteReasons.InvalidSpec, "spec.x: wrong")) with { Revision = null };
        Assert.Equal(("Unknown", RouteReasons.InvalidSpec), (Reachable(RouteStatusCalculator.Compute(Route, refused, Acks(), null, T0)).Status, Reachable(RouteStatusCalculator.Compute(Route, refused, Acks(), null, T0)).Reason));
    }
}
