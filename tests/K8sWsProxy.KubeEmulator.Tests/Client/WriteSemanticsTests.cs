using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>Create/update/patch/delete rules the operator relies on, through the real KubernetesClient.</summary>
public sealed class WriteSemanticsTests
{
    [Fact]
    public async Task Update_with_a_stale_resourceVersion_is_a_409_Conflict()
    {
        await using var kube = await StartAsync();
        var created = await kube.CreateRouteAsync(Route("r1"));
        var first = created.DeepClone().AsObject();
        first["spec"]!["match"]!["path"] = "/one";
        await kube.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(first, RouteGroup, RouteVersion, "default", RoutePlural, "r1");

        var stale = created.DeepClone().AsObject();
        stale["spec"]!["match"]!["path"] = "/two";
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Conflict", status["reason"]!.ToString());
        Assert.Contains("the object has been modified", status["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("/one", (await kube.GetRouteAsync("r1"))["spec"]!["match"]!["path"]!.ToString());

        // A merge patch that names a resourceVersion is conditional too.
        var conditional = new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = created["metadata"]!["resourceVersion"]!.ToString() },
            ["spec"] = new JsonObject { ["match"] = new JsonObject { ["path"] = "/three" } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch);
        var patchError = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(conditional, RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.Conflict, patchError.Response.StatusCode);
    }

    [Fact]
    public async Task Custom_resource_PUT_without_resourceVersion_is_refused_but_builtin_PUT_is_unconditional()
    {
        await using var kube = await StartAsync();
        var route = await kube.CreateRouteAsync(Route("r1"));
        route["metadata"]!.AsObject().Remove("resourceVersion");
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            kube.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(route, RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains("metadata.resourceVersion", error.Response.Content, StringComparison.Ordinal);

        var map = await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default");
        map.Metadata.ResourceVersion = null;
        map.Data["a"] = "2";
        var replaced = await kube.Client.CoreV1.ReplaceNamespacedConfigMapAsync(map, "c", "default");
        Assert.Equal("2", replaced.Data["a"]);

        // Unconditional, but not blind: a write carrying the uid of an earlier object of that name is refused.
        await kube.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default");
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.ReplaceNamespacedConfigMapAsync(WithoutResourceVersion(replaced), "c", "default"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("Precondition failed: UID in precondition", stale.Response.Content, StringComparison.Ordinal);
    }

    private static V1ConfigMap WithoutResourceVersion(V1ConfigMap map)
    {
        map.Metadata.ResourceVersion = null;
        return map;
    }

    [Fact]
    public async Task Status_subresource_and_main_resource_ignore_each_others_changes()
    {
        await using var kube = await StartAsync();
        var withStatus = Route("r1");
        withStatus["status"] = new JsonObject { ["observedGeneration"] = 99 };
        var created = await kube.CreateRouteAsync(withStatus);
        Assert.Null(created["status"]);
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());

        // Status write: spec and labels in the body are ignored, status lands, generation stays.
        var statusBody = created.DeepClone().AsObject();
        statusBody["spec"]!["match"]!["path"] = "/ignored";
        statusBody["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        statusBody["status"] = new JsonObject { ["observedGeneration"] = 1, ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
        var afterStatus = ToNode(await kube.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(statusBody, RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal("/ws", afterStatus["spec"]!["match"]!["path"]!.ToString());
        Assert.Null(afterStatus["metadata"]!["labels"]);
        Assert.Equal("True", afterStatus["status"]!["conditions"]![0]!["status"]!.ToString());
        Assert.Equal(1, afterStatus["metadata"]!["generation"]!.GetValue<long>());

        // Main write: status in the body is ignored, spec lands, generation moves.
        var mainBody = afterStatus.DeepClone().AsObject();
        mainBody["spec"]!["match"]!["path"] = "/new";
        mainBody["status"] = new JsonObject { ["observedGeneration"] = 42 };
        var afterMain = ToNode(await kube.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(mainBody, RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal("/new", afterMain["spec"]!["match"]!["path"]!.ToString());
        Assert.Equal(1, afterMain["status"]!["observedGeneration"]!.GetValue<long>());
        Assert.Equal(2, afterMain["metadata"]!["generation"]!.GetValue<long>());

        // Status merge patch via the client's status call, as the operator writes conditions.
        var patched = ToNode(await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"observedGeneration":2},"spec":{"match":{"path":"/sneaky"}}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(2, patched["status"]!["observedGeneration"]!.GetValue<long>());
        Assert.Equal("/new", patched["spec"]!["match"]!["path"]!.ToString());
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only()
    {
        await using var kube = await StartAsync();
        await kube.CreateRouteAsync(Route("r1"));
        long Generation(object o) => ToNode(o)["metadata"]!["generation"]!.GetValue<long>();

        var labelled = await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"a":"b"},"annotations":{"c":"d"}}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1");
        Assert.Equal(1, Generation(labelled));

        var changed = await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"match":{"path":"/b"}}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1");
        Assert.Equal(2, Generation(changed));

        // Writing the same spec again is a no-op: no new generation, no new resourceVersion.
        var same = await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"match":{"path":"/b"}}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1");
        Assert.Equal(2, Generation(same));
        Assert.Equal(ToNode(changed)["metadata"]!["resourceVersion"]!.ToString(), ToNode(same)["metadata"]!["resourceVersion"]!.ToString());
    }

    [Fact]
    public async Task Finalizers_hold_a_deleted_object_until_the_last_one_is_removed()
    {
        await using var kube = await StartAsync();
        var route = Route("r1");
        route["metadata"]!["finalizers"] = new JsonArray("k8swsproxy.io/cleanup");
        await kube.CreateRouteAsync(route);
        var from = kube.Emulator.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var watch = new WatchRecorder<object>((onError, ct) => kube.Client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            RouteGroup, RouteVersion, "default", RoutePlural, resourceVersion: from, onError: onError, cancellationToken: ct));

        var deleting = ToNode(await kube.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);
        Assert.Equal(WatchEventType.Modified, (await watch.NextAsync()).Type);

        // Deleting again changes nothing; adding a finalizer now is forbidden.
        var again = ToNode(await kube.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(deleting["metadata"]!["resourceVersion"]!.ToString(), again["metadata"]!["resourceVersion"]!.ToString());
        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":["k8swsproxy.io/cleanup","late"]}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forbidden.Response.StatusCode);
        Assert.Contains("no new finalizers can be added", forbidden.Response.Content, StringComparison.Ordinal);

        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"remove","path":"/metadata/finalizers"}]""", V1Patch.PatchType.JsonPatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1");
        Assert.Equal(WatchEventType.Deleted, (await watch.NextAsync()).Type);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => kube.GetRouteAsync("r1"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Delete_answers_a_Status_for_custom_resources_and_the_object_for_pods()
    {
        await using var kube = await StartAsync();
        await kube.CreateRouteAsync(Route("r1"));
        var status = ToNode(await kube.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(("Status", "Success", "websocketroutes"), (status["kind"]!.ToString(), status["status"]!.ToString(), status["details"]!["kind"]!.ToString()));

        await kube.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } }, "default");
        var pod = await kube.Client.CoreV1.DeleteNamespacedPodAsync("p", "default");
        Assert.Equal("p", pod.Metadata.Name);
    }

    [Fact]
    public async Task Merge_patch_and_json_patch_follow_their_RFCs()
    {
        await using var kube = await StartAsync();
        var route = Route("r1", labels: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        await kube.CreateRouteAsync(route);

        var merged = ToNode(await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"upstream":{"endpoints":[{"url":"ws://x"},{"url":"ws://y"}]}}}""", V1Patch.PatchType.MergePatch),
            RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal("""{"b":"2","c":"3"}""", merged["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal(2, merged["spec"]!["upstream"]!["endpoints"]!.AsArray().Count);

        var patched = ToNode(await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"test","path":"/spec/match/path","value":"/ws"},{"op":"replace","path":"/spec/match/path","value":"/j"},{"op":"remove","path":"/spec/upstream/endpoints/0"}]""", V1Patch.PatchType.JsonPatch),
            RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal("/j", patched["spec"]!["match"]!["path"]!.ToString());
        Assert.Equal("ws://y", patched["spec"]!["upstream"]!["endpoints"]![0]!["url"]!.ToString());

        var failedTest = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"test","path":"/spec/match/path","value":"/nope"},{"op":"replace","path":"/spec/match/path","value":"/x"}]""", V1Patch.PatchType.JsonPatch),
            RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, failedTest.Response.StatusCode);

        var smp = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{}}""", V1Patch.PatchType.StrategicMergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "r1"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, smp.Response.StatusCode);
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_builtin_lists_by_key()
    {
        await using var kube = await StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app:1" }, new V1Container { Name = "proxy", Image = "proxy:1" }] },
        }, "default");
        var pod = await kube.Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"spec":{"containers":[{"name":"proxy","image":"proxy:2"}]}}""", V1Patch.PatchType.StrategicMergePatch), "p", "default");
        Assert.Equal(["app:1", "proxy:2"], pod.Spec.Containers.Select(c => c.Image));
    }

    [Fact]
    public async Task Create_fills_server_fields_generateName_and_secret_data()
    {
        await using var kube = await StartAsync(withCrd: false);
        var ev = await kube.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { GenerateName = "web-" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
        }, "default");
        Assert.Matches("^web-[a-z0-9]{5}$", ev.Metadata.Name);
        Assert.True(Guid.TryParse(ev.Metadata.Uid, out _));
        Assert.NotNull(ev.Metadata.CreationTimestamp);
        Assert.Equal("Pending", ev.Status.Phase);

        var secret = await kube.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            StringData = new Dictionary<string, string> { ["token"] = "hunter2" },
        }, "default");
        Assert.Null(secret.StringData);
        Assert.Equal("Opaque", secret.Type);
        Assert.Equal("hunter2", System.Text.Encoding.UTF8.GetString(secret.Data["token"]));

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default"));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Equal("AlreadyExists", JsonNode.Parse(duplicate.Response.Content)!["reason"]!.ToString());

        var noNamespace = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "missing"));
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Response.StatusCode);
    }

    [Fact]
    public async Task Pod_status_is_writable_so_tests_can_simulate_readiness()
    {
        await using var kube = await StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } }, "default");
        var ready = await kube.Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(
            """{"status":{"phase":"Running","podIP":"127.0.0.2","conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch), "p", "default");
        Assert.Equal(("Running", "127.0.0.2"), (ready.Status.Phase, ready.Status.PodIP));

        var running = await kube.Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "status.phase=Running");
        Assert.Single(running.Items);
    }

    [Fact]
    public async Task Events_written_through_either_API_are_one_object()
    {
        await using var kube = await StartAsync(withCrd: false);
        await kube.Client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "r1." },
            EventTime = DateTime.UtcNow,
            ReportingController = "k8swsproxy.io/operator",
            ReportingInstance = "operator-0",
            Action = "Reconcile",
            Reason = "Synced",
            Note = "3/3 sidecars on revision x",
            Type = "Normal",
            Regarding = new V1ObjectReference { Kind = "WebSocketRoute", Name = "r1", NamespaceProperty = "default", Uid = "u1" },
        }, "default");

        var core = await kube.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=r1,involvedObject.kind=WebSocketRoute");
        var ev = Assert.Single(core.Items);
        Assert.Equal(("3/3 sidecars on revision x", "Synced", "u1"), (ev.Message, ev.Reason, ev.InvolvedObject.Uid));

        var v1 = await kube.Client.EventsV1.ListNamespacedEventAsync("default", fieldSelector: "regarding.name=r1");
        Assert.Equal("3/3 sidecars on revision x", Assert.Single(v1.Items).Note);
    }
}
