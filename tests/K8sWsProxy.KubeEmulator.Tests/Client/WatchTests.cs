namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>List+watch as the operator's informers use it, through the real KubernetesClient.</summary>
public sealed class WatchTests
{
    private static V1Pod Pod(string name, string app) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
    };

    [Fact]
    public async Task Watch_from_a_list_resourceVersion_replays_exactly_the_later_changes()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var client = kube.Client;
        await client.CoreV1.CreateNamespacedPodAsync(Pod("before", "a"), "default");
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        Assert.Single(list.Items);

        // Changes made while nobody watches: the watch from the list's RV must replay them, in order.
        await client.CoreV1.CreateNamespacedPodAsync(Pod("after", "a"), "default");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"tier":"web"}}}""", V1Patch.PatchType.MergePatch), "before", "default");
        await client.CoreV1.DeleteNamespacedPodAsync("after", "default");

        await using var watch = new WatchRecorder<V1Pod>((onError, ct) => client.CoreV1.WatchListNamespacedPodAsync(
            "default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));
        var added = await watch.NextAsync();
        var modified = await watch.NextAsync();
        var deleted = await watch.NextAsync();
        Assert.Equal((WatchEventType.Added, "after"), (added.Type, added.Object.Metadata.Name));
        Assert.Equal((WatchEventType.Modified, "before"), (modified.Type, modified.Object.Metadata.Name));
        Assert.Equal("web", modified.Object.Metadata.Labels["tier"]);
        Assert.Equal((WatchEventType.Deleted, "after"), (deleted.Type, deleted.Object.Metadata.Name));
        Assert.True(long.Parse(deleted.Object.Metadata.ResourceVersion) > long.Parse(modified.Object.Metadata.ResourceVersion));

        // Then it is live.
        await client.CoreV1.CreateNamespacedPodAsync(Pod("live", "a"), "default");
        var live = await watch.NextAsync();
        Assert.Equal((WatchEventType.Added, "live"), (live.Type, live.Object.Metadata.Name));
    }

    [Fact]
    public async Task Watch_without_resourceVersion_starts_with_the_current_objects()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("one", "a"), "default");
        await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("two", "a"), "default");

        await using var watch = new WatchRecorder<V1Pod>((onError, ct) =>
            kube.Client.CoreV1.WatchListNamespacedPodAsync("default", onError: onError, cancellationToken: ct));
        var names = new[] { (await watch.NextAsync()).Object.Metadata.Name, (await watch.NextAsync()).Object.Metadata.Name };
        Assert.Equal(["one", "two"], names);
    }

    [Fact]
    public async Task Bookmarks_arrive_only_when_asked_for_and_carry_the_current_resourceVersion()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var created = await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "a"), "default");

        await using var withBookmarks = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", allowWatchBookmarks: true, resourceVersion: created.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));
        var bookmark = await withBookmarks.NextAsync(includeBookmarks: true);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(kube.Emulator.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmark.Object.Metadata.ResourceVersion);

        await using var without = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", resourceVersion: created.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));
        await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("q", "a"), "default");
        var first = await without.NextAsync(includeBookmarks: true);
        Assert.Equal((WatchEventType.Added, "q"), (first.Type, first.Object.Metadata.Name));
    }

    [Fact]
    public async Task Watch_from_a_compacted_resourceVersion_reports_410_Expired_and_ends()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var old = await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "a"), "default");
        await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("q", "a"), "default");
        kube.Emulator.CompactHistory();

        await using var watch = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", resourceVersion: old.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));
        await watch.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        var error = Assert.IsType<KubernetesException>(Assert.Single(watch.Errors));
        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);

        // A fresh list gives a resourceVersion that can be watched again.
        var relist = await kube.Client.CoreV1.ListNamespacedPodAsync("default");
        await using var resumed = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", resourceVersion: relist.Metadata.ResourceVersion, onError: onError, cancellationToken: ct));
        await kube.Client.CoreV1.DeleteNamespacedPodAsync("q", "default");
        Assert.Equal(WatchEventType.Deleted, (await resumed.NextAsync()).Type);
    }

    [Fact]
    public async Task Label_selector_watch_sees_objects_enter_as_ADDED_and_leave_as_DELETED()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var client = kube.Client;
        var from = kube.Emulator.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var watch = new WatchRecorder<V1Pod>((onError, ct) => client.CoreV1.WatchListNamespacedPodAsync(
            "default", labelSelector: "app=chat", resourceVersion: from, onError: onError, cancellationToken: ct));

        await client.CoreV1.CreateNamespacedPodAsync(Pod("p", "other"), "default");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"chat"}}}""", V1Patch.PatchType.MergePatch), "p", "default");
        var entered = await watch.NextAsync();
        Assert.Equal((WatchEventType.Added, "chat"), (entered.Type, entered.Object.Metadata.Labels["app"]));

        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"annotations":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "p", "default");
        Assert.Equal(WatchEventType.Modified, (await watch.NextAsync()).Type);

        var moved = await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"gone"}}}""", V1Patch.PatchType.MergePatch), "p", "default");
        var left = await watch.NextAsync();
        Assert.Equal(WatchEventType.Deleted, left.Type);
        Assert.Equal("chat", left.Object.Metadata.Labels["app"]);
        Assert.Equal(moved.Metadata.ResourceVersion, left.Object.Metadata.ResourceVersion);

        // Changes to an object outside the selector are invisible.
        await client.CoreV1.DeleteNamespacedPodAsync("p", "default");
        Assert.True(await watch.IsQuietAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Watch_ends_cleanly_on_timeoutSeconds_and_when_the_emulator_drops_watches()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "a"), "default");

        await using var timed = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", timeoutSeconds: 1, onError: onError, cancellationToken: ct));
        Assert.Equal(WatchEventType.Added, (await timed.NextAsync()).Type);
        await timed.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(timed.Errors);

        await using var dropped = new WatchRecorder<V1Pod>((onError, ct) => kube.Client.CoreV1.WatchListNamespacedPodAsync(
            "default", onError: onError, cancellationToken: ct));
        Assert.Equal(WatchEventType.Added, (await dropped.NextAsync()).Type);
        Assert.False(dropped.Ended.IsCompleted);
        kube.Emulator.DropWatches();
        await dropped.Ended.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Watch_of_custom_resources_across_all_namespaces()
    {
        await using var kube = await TestEmulator.StartAsync();
        await kube.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "demo" } });
        var from = kube.Emulator.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var watch = new WatchRecorder<object>((onError, ct) => kube.Client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(
            TestEmulator.RouteGroup, TestEmulator.RouteVersion, TestEmulator.RoutePlural, allowWatchBookmarks: true,
            resourceVersion: from, onError: onError, cancellationToken: ct));
        await kube.CreateRouteAsync(TestEmulator.Route("a"), "demo");
        await kube.CreateRouteAsync(TestEmulator.Route("b"), "default");
        var first = TestEmulator.ToNode((await watch.NextAsync()).Object);
        var second = TestEmulator.ToNode((await watch.NextAsync()).Object);
        Assert.Equal(["demo", "default"], new[] { first["metadata"]!["namespace"]!.ToString(), second["metadata"]!["namespace"]!.ToString() });
        Assert.Equal("WebSocketRoute", first["kind"]!.ToString());
    }

    [Fact]
    public async Task A_watch_that_cannot_start_fails_with_an_http_error()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var error = await Assert.ThrowsAsync<HttpOperationException>(async () =>
        {
            await foreach (var unexpected in kube.Client.CoreV1.WatchListNamespacedPodAsync("default", labelSelector: "app in (a", timeoutSeconds: 1))
            {
                Assert.Fail($"no event expected, got {unexpected.Item1}");
            }
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.Response.StatusCode);
    }
}
