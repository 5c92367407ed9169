using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Cli;

/// <summary>The real kubectl against the emulator: the commands a user and our scripts run.</summary>
public sealed class KubectlTests
{
    private static readonly string Crd = TestData("websocketroute-crd.yaml");
    private static readonly string Chat = TestData("websocketroute-chat.yaml");

    private static async Task<CommandResult> Ok(Task<CommandResult> run)
    {
        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public async Task Apply_a_CRD_then_a_resource_create_change_and_unchanged()
    {
        await using var kube = await StartAsync(withCrd: false);
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);

        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/websocketroutes.k8swsproxy.io created", (await Ok(kubectl.RunAsync("apply", "-f", Crd))).Stdout, StringComparison.Ordinal);
        Assert.Contains("websocketroute.k8swsproxy.io/chat created", (await Ok(kubectl.RunAsync("apply", "-f", Chat))).Stdout, StringComparison.Ordinal);
        Assert.Contains("websocketroute.k8swsproxy.io/chat unchanged", (await Ok(kubectl.RunAsync("apply", "-f", Chat))).Stdout, StringComparison.Ordinal);

        var changed = (await File.ReadAllTextAsync(Chat)).Replace("path: /ws", "path: /chat", StringComparison.Ordinal);
        Assert.Contains("websocketroute.k8swsproxy.io/chat configured", (await Ok(kubectl.RunWithInputAsync(changed, "apply", "-f", "-"))).Stdout, StringComparison.Ordinal);
        var route = await kube.GetRouteAsync("chat");
        Assert.Equal("/chat", route["spec"]!["match"]!["path"]!.ToString());
        Assert.Equal(2, route["metadata"]!["generation"]!.GetValue<long>());

        // Re-applying the CRD unchanged is recognised too (merge patch path for CRDs), and a changed one is served at once.
        Assert.Contains("unchanged", (await Ok(kubectl.RunAsync("apply", "-f", Crd))).Stdout, StringComparison.Ordinal);
        var renamed = (await File.ReadAllTextAsync(Crd)).Replace("shortNames: [wsr]", "shortNames: [wsr, route]", StringComparison.Ordinal);
        Assert.Contains("configured", (await Ok(kubectl.RunWithInputAsync(renamed, "apply", "-f", "-"))).Stdout, StringComparison.Ordinal);
        Assert.Contains("chat", (await Ok(kubectl.RunAsync("get", "route"))).Stdout, StringComparison.Ordinal);
        var crd = await kube.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("websocketroutes.k8swsproxy.io");
        Assert.Equal(["wsr", "route"], crd.Status.AcceptedNames.ShortNames);

        // A builtin goes through the strategic-merge-patch path on re-apply.
        const string Secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\nstringData: {key: one}\n";
        Assert.Contains("secret/tls created", (await Ok(kubectl.RunWithInputAsync(Secret, "apply", "-f", "-"))).Stdout, StringComparison.Ordinal);
        Assert.Contains("secret/tls configured", (await Ok(kubectl.RunWithInputAsync(Secret.Replace("one", "two", StringComparison.Ordinal), "apply", "-f", "-"))).Stdout, StringComparison.Ordinal);
        var secret = await kube.Client.CoreV1.ReadNamespacedSecretAsync("tls", "default");
        Assert.Equal("two", System.Text.Encoding.UTF8.GetString(secret.Data["key"]));
    }

    [Fact]
    public async Task Get_shows_printer_columns_namespaces_selectors_and_yaml()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await Ok(kubectl.RunAsync("apply", "-f", Chat));
        await Ok(kubectl.RunWithInputAsync("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n", "apply", "-f", "-"));
        await kube.CreateRouteAsync(Route("other", "/other", new Dictionary<string, string> { ["app"] = "other" }), "demo");
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "chat");

        var table = (await Ok(kubectl.RunAsync("get", "wsr"))).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+PATH\s+READY\s+AGE$", table[0]);
        Assert.Matches(@"^chat\s+/ws\s+True\s+\d+s$", table[1]);
        Assert.Equal(2, table.Length);

        var all = (await Ok(kubectl.RunAsync("get", "websocketroutes", "-A"))).Stdout;
        Assert.Matches(@"(?m)^NAMESPACE\s+NAME\s+PATH\s+READY\s+AGE$", all);
        Assert.Matches(@"(?m)^default\s+chat\s+/ws\s+True", all);
        Assert.Matches(@"(?m)^demo\s+other\s+/other\s+\d+s$", all);

        var selected = (await Ok(kubectl.RunAsync("get", "wsr", "-A", "-l", "app=other", "-o", "name"))).Stdout.Trim();
        Assert.Equal("websocketroute.k8swsproxy.io/other", selected);

        var yaml = (await Ok(kubectl.RunAsync("get", "wsr", "chat", "-o", "yaml"))).Stdout;
        Assert.Contains("kind: WebSocketRoute", yaml, StringComparison.Ordinal);
        Assert.Contains("pathType: Prefix", yaml, StringComparison.Ordinal);
        Assert.Contains("kubectl.kubernetes.io/last-applied-configuration", yaml, StringComparison.Ordinal);

        Assert.Equal("/ws", (await Ok(kubectl.RunAsync("get", "wsr", "chat", "-o", "jsonpath={.spec.match.path}"))).Stdout.Trim());

        // Builtins get the columns a JSONPath can express.
        Assert.Matches(@"(?m)^demo\s+Active\s+\d+s$", (await Ok(kubectl.RunAsync("get", "namespaces"))).Stdout);
    }

    [Fact]
    public async Task Get_watch_prints_rows_as_objects_change()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await kube.CreateRouteAsync(Route("first", "/first"));

        var watch = kubectl.Start("get", "wsr", "-w");
        await watch.WaitForOutputAsync("first");
        await kube.CreateRouteAsync(Route("second", "/second"));
        await watch.WaitForOutputAsync("/second");
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch), RouteGroup, RouteVersion, "default", RoutePlural, "second");
        await Poll.UntilAsync(() => Task.FromResult(System.Text.RegularExpressions.Regex.IsMatch(watch.Stdout, @"(?m)^second\s+/second\s+True")), "the Ready column to change");
    }

    [Fact]
    public async Task Get_sort_by_orders_rows_by_a_field_of_the_whole_object()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        foreach (var (name, path) in new[] { ("b", "/zeta"), ("c", "/alpha"), ("a", "/mid") })
        {
            await kube.CreateRouteAsync(Route(name, path));
        }

        // kubectl asks for Table rows that carry the whole object (includeObject=Object) and sorts by it.
        var sorted = (await Ok(kubectl.RunAsync("get", "wsr", "--sort-by=.spec.match.path", "-o", "name"))).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["websocketroute.k8swsproxy.io/c", "websocketroute.k8swsproxy.io/a", "websocketroute.k8swsproxy.io/b"], sorted);
        var table = (await Ok(kubectl.RunAsync("get", "wsr", "--sort-by=.spec.match.path"))).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["c", "a", "b"], table.Skip(1).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task Describe_shows_the_events_about_a_resource()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        var route = await kube.CreateRouteAsync(Route("chat"));
        await kube.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "chat." },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = $"{RouteGroup}/{RouteVersion}",
                Kind = "WebSocketRoute",
                Name = "chat",
                NamespaceProperty = "default",
                Uid = route["metadata"]!["uid"]!.ToString(),
            },
            Reason = "Synced",
            Message = "3/3 sidecars on revision abc",
            Type = "Normal",
            Source = new V1EventSource { Component = "k8s-ws-proxy-operator" },
            FirstTimestamp = DateTime.UtcNow,
            LastTimestamp = DateTime.UtcNow,
            Count = 1,
        }, "default");

        var described = (await Ok(kubectl.RunAsync("describe", "wsr", "chat"))).Stdout;
        Assert.Matches(@"Name:\s+chat", described);
        Assert.Matches(@"(?m)^Events:", described);
        Assert.Matches(@"Normal\s+Synced\s+.*k8s-ws-proxy-operator\s+3/3 sidecars on revision abc", described);
        var events = (await Ok(kubectl.RunAsync("get", "events", "--sort-by=.lastTimestamp"))).Stdout;
        Assert.True(events.Contains("Synced", StringComparison.Ordinal) && events.Contains("3/3 sidecars on revision abc", StringComparison.Ordinal), events);
    }

    [Fact]
    public async Task Patch_merge_and_status_then_wait_for_Ready()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await Ok(kubectl.RunAsync("apply", "-f", Chat));

        Assert.Contains("patched", (await Ok(kubectl.RunAsync("patch", "wsr", "chat", "--type=merge", "-p", """{"spec":{"match":{"pathType":"Exact"}}}"""))).Stdout, StringComparison.Ordinal);
        Assert.Contains("patched", (await Ok(kubectl.RunAsync("patch", "wsr", "chat", "--type=json", "-p", """[{"op":"replace","path":"/spec/match/path","value":"/j"}]"""))).Stdout, StringComparison.Ordinal);

        // wait has to watch: the condition only appears after it started.
        var wait = kubectl.Start("wait", "--for=condition=Ready", "wsr/chat", "--timeout=20s");
        await Task.WhenAny(wait.Exited, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(wait.HasExited, "wait finished before the condition existed");
        await Ok(kubectl.RunAsync("patch", "wsr", "chat", "--subresource=status", "--type=merge", "-p",
            """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Synced"}]}}"""));
        var waited = await CommandResult.OfAsync(wait, TimeSpan.FromSeconds(20));
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.Contains("condition met", waited.Stdout, StringComparison.Ordinal);

        var route = await kube.GetRouteAsync("chat");
        Assert.Equal(("Exact", "/j", "True"), (route["spec"]!["match"]!["pathType"]!.ToString(), route["spec"]!["match"]!["path"]!.ToString(), route["status"]!["conditions"]![0]!["status"]!.ToString()));
    }

    [Fact]
    public async Task Delete_returns_at_once_without_finalizers_and_waits_for_them_otherwise()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        await kube.CreateRouteAsync(Route("plain"));
        Assert.Contains("\"plain\" deleted", (await Ok(kubectl.RunAsync("delete", "wsr", "plain"))).Stdout, StringComparison.Ordinal);
        var missing = await kubectl.RunAsync("get", "wsr", "plain");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("NotFound", missing.Stderr, StringComparison.Ordinal);

        var held = Route("held");
        held["metadata"]!["finalizers"] = new System.Text.Json.Nodes.JsonArray("k8swsproxy.io/cleanup");
        await kube.CreateRouteAsync(held);
        var delete = kubectl.Start("delete", "wsr", "held", "--timeout=20s");
        await Poll.UntilAsync(async () => (await kube.GetRouteAsync("held"))["metadata"]!["deletionTimestamp"] is not null, "the deletionTimestamp");
        Assert.False(delete.HasExited, "delete returned while a finalizer still held the object");

        await Ok(kubectl.RunAsync("patch", "wsr", "held", "--type=merge", "-p", """{"metadata":{"finalizers":null}}"""));
        var deleted = await CommandResult.OfAsync(delete, TimeSpan.FromSeconds(20));
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("\"held\" deleted", deleted.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_resources_are_refused_with_the_field_named()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        var invalid = await kubectl.RunAsync("apply", "-f", TestData("websocketroute-invalid.yaml"));
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("The WebSocketRoute \"broken\" is invalid", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.match.pathType: Unsupported value: \"Glob\"", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.match.path: Invalid value: \"ws\"", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.upstream: Required value", invalid.Stderr, StringComparison.Ordinal);

        var unknown = (await File.ReadAllTextAsync(Chat)) + "  retries: 3\n";
        var strict = await kubectl.RunWithInputAsync(unknown, "apply", "-f", "-");
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("unknown field \"spec.retries\"", strict.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_resources_lists_builtins_and_the_CRD()
    {
        await using var kube = await StartAsync();
        using var kubectl = new Kubectl(kube.Emulator.KubeconfigPath);
        var resources = (await Ok(kubectl.RunAsync("api-resources"))).Stdout;
        Assert.Matches(@"(?m)^websocketroutes\s+wsr\s+k8swsproxy.io/v1alpha1\s+true\s+WebSocketRoute$", resources);
        Assert.Matches(@"(?m)^leases\s+coordination.k8s.io/v1\s+true\s+Lease$", resources);
        Assert.Matches(@"(?m)^pods\s+po\s+v1\s+true\s+Pod$", resources);
        Assert.Matches(@"(?m)^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io/v1\s+false\s+CustomResourceDefinition$", resources);
    }
}
