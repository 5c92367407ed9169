using k8s;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>Crashes, restarts, a second replica and a misbehaving API server: the operator and the sidecars converge.</summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class FaultTests(ProxyCluster cluster) : ClusterTest(cluster)
{
    public override async Task InitializeAsync()
    {
        await Cluster.ApplyAsync(Cluster.ExampleRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
    }

    private Task<Operator.Routes.WebSocketRoute> ConvergedAsync(long generation) =>
        Cluster.WaitForRouteAsync("chat", r => r.Metadata.Generation == generation && ProxyCluster.IsReady(r, 3, 3), $"generation {generation} on 3/3", TimeSpan.FromSeconds(30));

    private async Task<long> GenerationAsync() => (await Cluster.RouteAsync("chat"))!.Metadata.Generation!.Value;

    private async Task<string> LeaderAsync() =>
        (await Cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("k8s-ws-proxy-operator", ProxyCluster.OperatorNamespace)).Spec.HolderIdentity;

    [Fact]
    public async Task A_killed_sidecar_serves_its_persisted_document_at_once_then_resyncs()
    {
        var sidecar = Cluster.Sidecars[1];
        var before = (await sidecar.ConfigAsync()).GetProperty("revision").GetString();
        sidecar.Process!.Kill();
        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(1));
        var generation = await GenerationAsync();

        sidecar.Start();
        await sidecar.Process!.WaitReadyAsync();
        // The "ready" line comes before the channel is up: the revision it names is the one saved on disk.
        Assert.Contains($"revision={before}", sidecar.Process.Output, StringComparison.Ordinal);
        // Traffic flows, even for a handshake that straddles the swap to the resynced document.
        using (var chat = await ChatConnection.OpenAsync(sidecar))
        {
            Assert.Contains(await chat.UpstreamAsync(), new[] { "a", "b" });
        }

        await ConvergedAsync(generation);
        Assert.NotEqual(before, (await sidecar.ConfigAsync()).GetProperty("revision").GetString());
    }

    [Fact]
    public async Task A_killed_operator_loses_nothing_and_status_converges_after_its_restart()
    {
        foreach (var replica in Cluster.Operators)
        {
            replica.Process!.Kill();
        }

        // Sidecars keep serving their last good document while no operator answers.
        using (var chat = await ChatConnection.OpenAsync(Cluster.Sidecars[0]))
        {
            await chat.Socket.SendTextAsync("still here");
            Assert.Equal("still here", await chat.Socket.ReceiveTextAsync());
        }

        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(2));
        var generation = await GenerationAsync();
        foreach (var replica in Cluster.Operators)
        {
            await replica.StartAsync();
        }

        await ConvergedAsync(generation);
    }

    [Fact]
    public async Task An_operator_killed_while_pushing_twenty_changes_leaves_every_sidecar_on_the_latest_revision_after_its_restart()
    {
        var initial = await Task.WhenAll(Cluster.Sidecars.Select(async s => (await s.ConfigAsync()).GetProperty("revision").GetString()));

        // Twenty changes as fast as kubectl goes; the operator is killed as soon as one sidecar has taken one of
        // them, while the others are still being applied and pushed.
        var applying = Task.Run(async () =>
        {
            for (var n = 0; n < 20; n++)
            {
                await Cluster.ApplyAsync(Cluster.EditedExampleRoute(100 + n));
            }
        });
        await Poll.UntilAsync(
            async () => (await Task.WhenAll(Cluster.Sidecars.Select(async s => (await s.ConfigAsync()).GetProperty("revision").GetString()))).Except(initial).Any(),
            "a sidecar to take a pushed change",
            TimeSpan.FromSeconds(20));
        foreach (var replica in Cluster.Operators)
        {
            replica.Process!.Kill();
        }

        var allAppliedAtKill = applying.IsCompleted;
        var atKill = await Task.WhenAll(Cluster.Sidecars.Select(async s => (await s.ConfigAsync()).GetProperty("revision").GetString()));
        Console.WriteLine($"At the kill, {atKill.Count(r => !initial.Contains(r))} of {atKill.Length} sidecars had taken a change ({atKill.Distinct().Count()} revisions among them), {(allAppliedAtKill ? "all" : "not all")} 20 changes applied");
        await applying;

        var generation = await GenerationAsync();
        foreach (var replica in Cluster.Operators)
        {
            await replica.StartAsync();
        }

        await ConvergedAsync(generation);
        var final = await Task.WhenAll(Cluster.Sidecars.Select(async s => (await s.ConfigAsync()).GetProperty("revision").GetString()));
        Assert.Single(final.Distinct());
        Assert.DoesNotContain(final[0], initial);
        if (!allAppliedAtKill)
        {
            // Changes came after the kill: the restarted operator pushed them.
            Assert.DoesNotContain(final[0], atKill);
        }
        foreach (var sidecar in Cluster.Sidecars)
        {
            using var chat = await ChatConnection.OpenAsync(sidecar);
            await chat.Socket.SendTextAsync("converged");
            Assert.Equal("converged", await chat.Socket.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task With_two_replicas_only_the_leader_writes_status_and_killing_it_hands_over()
    {
        if (Cluster.Operators.Count == 1)
        {
            Cluster.Operators.Add(new OperatorUnderTest("op-b", Cluster.OperatorKubeconfig, Cluster.Operators[0].CertFile, Cluster.Operators[0].KeyFile));
            await Cluster.Operators[1].StartAsync();
        }

        var holder = await LeaderAsync();
        var leader = Cluster.Operators.Single(o => o.Identity == holder);
        var follower = Cluster.Operators.Single(o => o != leader);
        var followerWrites = StatusWrites(follower.AllOutput);
        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(3));
        await ConvergedAsync(await GenerationAsync());
        Assert.Equal(followerWrites, StatusWrites(follower.AllOutput));

        leader.Process!.Kill();
        await Poll.UntilAsync(async () => await LeaderAsync() == follower.Identity, "the follower to take the lease", TimeSpan.FromSeconds(20));
        // The sidecars dial the first replica's address: bring it back (as a follower) so they have somewhere to go.
        await leader.StartAsync();
        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(4));
        await ConvergedAsync(await GenerationAsync());
        Assert.True(StatusWrites(follower.AllOutput) > followerWrites, "the new leader wrote status");
    }

    [Fact]
    public async Task Dropped_watches_and_410_Gone_make_the_operator_relist_and_converge()
    {
        Cluster.Kube.DropWatches();
        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(5));
        await ConvergedAsync(await GenerationAsync());

        // A change nobody watches moves the resourceVersion on; compacting then makes every resume point too old.
        await Cluster.ApplyAsync("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bump, namespace: demo}\ndata: {at: \"" + Guid.NewGuid() + "\"}\n");
        var relists = Relists();
        Cluster.Kube.CompactHistory();
        Cluster.Kube.DropWatches();
        await Cluster.ApplyAsync(Cluster.EditedExampleRoute(6));
        await ConvergedAsync(await GenerationAsync());
        await Poll.UntilAsync(() => Relists() > relists, "the operator to relist after 410 Gone");
    }

    [Fact]
    public async Task A_terminated_operator_closes_its_channels_with_1001_and_exits_0()
    {
        using var replica = new OperatorUnderTest("op-term", Cluster.OperatorKubeconfig, Cluster.Operators[0].CertFile, Cluster.Operators[0].KeyFile);
        await replica.StartAsync();
        var token = await File.ReadAllTextAsync(Cluster.Sidecars[0].TokenFile);
        using var channel = await Ws.ConnectAsync(replica.ChannelUrl, o =>
        {
            o.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            o.SetRequestHeader("Authorization", "Bearer " + token);
        });
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Text, (await channel.ReceiveMessageAsync()).Type);

        var exit = replica.Process!.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, (await channel.ReceiveCloseAsync()).Status);
        Assert.Equal(0, await exit);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    public async Task Failing_API_requests_are_retried_with_backoff_without_a_crash(int status)
    {
        var failures = Failures();
        Cluster.Kube.FailNextRequests(25, status);
        Cluster.Kube.DropWatches();
        await Poll.UntilAsync(() => Failures() > failures, "the operator to meet the failures");

        // kubectl meets them too; it is retried here as a user would.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Cluster.Kubectl.RunWithInputAsync(Cluster.EditedExampleRoute(7 + status), "apply", "-f", "-")).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "kubectl apply kept failing");
        }

        await ConvergedAsync(await GenerationAsync());
        Assert.All(Cluster.Operators, o => Assert.False(o.Process!.HasExited));
    }

    private int Relists() => Occurrences(string.Concat(Cluster.Operators.Select(o => o.AllOutput)), "expired (410 Gone): relisting");

    private int Failures() => Occurrences(string.Concat(Cluster.Operators.Select(o => o.AllOutput)), "failed, retrying");

    private static int StatusWrites(string log) => Occurrences(log, "Status of demo/chat:");

    private static int Occurrences(string log, string text) => log.Split(text).Length - 1;
}
