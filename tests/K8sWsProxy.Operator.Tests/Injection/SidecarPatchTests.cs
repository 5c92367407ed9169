using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.KubeEmulator.Patch;
using K8sWsProxy.Operator.Injection;

namespace K8sWsProxy.Operator.Tests.Injection;

/// <summary>
/// Golden/Injection/NAME.pod.yaml, injected as a classic and as a native sidecar, gives
/// Golden/Injection/NAME.MODE.golden.json (the decision and its patch); every patch applies to its pod and gives a
/// pod that has the sidecar once, keeps everything it had, and needs no second patch.
/// </summary>
public sealed class SidecarPatchTests
{
    internal static readonly SidecarInjection Options = new()
    {
        Image = "k8s-ws-proxy/sidecar:0.1.0",
        OperatorUrl = "wss://k8s-ws-proxy.k8s-ws-proxy.svc:9443/v1/channel",
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Folder => Path.Combine(RepoPaths.Golden, "Injection");

    public static TheoryData<string, bool> Cases()
    {
        var cases = new TheoryData<string, bool>();
        foreach (var name in Directory.GetFiles(Folder, "*.pod.yaml").Select(f => Path.GetFileName(f)[..^".pod.yaml".Length]).Order(StringComparer.Ordinal))
        {
            cases.Add(name, false);
            cases.Add(name, true);
        }

        return cases;
    }

    /// <summary>As the webhook gets it: parsed from JSON text.</summary>
    internal static JsonObject Pod(string name) =>
        JsonNode.Parse(YamlToJson.Convert(File.ReadAllText(Path.Combine(Folder, name + ".pod.yaml")))!.ToJsonString())!.AsObject();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gives_the_golden_decision(string name, bool native)
    {
        var decision = SidecarPatch.For(Pod(name), Options, native);
        var actual = new JsonObject
        {
            ["outcome"] = decision.Outcome.ToString(),
            ["reason"] = decision.Reason,
            ["patch"] = decision.Patch.DeepClone(),
        };
        GoldenFile.AssertEqual(Path.Combine("Injection", $"{name}.{(native ? "native" : "classic")}.golden.json"), actual.ToJsonString(Indented) + "\n");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_patch_applies_and_gives_a_pod_with_the_sidecar_once(string name, bool native)
    {
        var pod = Pod(name);
        var decision = SidecarPatch.For(pod, Options, native);
        if (decision.Outcome != InjectionOutcome.Injected)
        {
            Assert.Empty(decision.Patch);
            return;
        }

        var patched = (JsonObject)JsonPatch.Apply(pod, decision.Patch);
        var before = Manifests.Strict<V1Pod>(pod);
        var after = Manifests.Strict<V1Pod>(patched);

        var sidecar = native ? after.Spec.InitContainers[0] : after.Spec.Containers[^1];
        Assert.Equal((SidecarPatch.ContainerName, native ? "Always" : null), (sidecar.Name, sidecar.RestartPolicy));
        Assert.Single(after.Spec.Containers.Concat(after.Spec.InitContainers ?? []), c => c.Name == SidecarPatch.ContainerName);
        Assert.Equal(Names(before.Spec.Containers), Names(after.Spec.Containers.Where(c => c != sidecar)));
        Assert.Equal(Names(before.Spec.InitContainers ?? []), Names((after.Spec.InitContainers ?? []).Where(c => c != sidecar)));
        Assert.Equal([.. (before.Spec.Volumes ?? []).Select(v => v.Name), "wsproxy-token", "wsproxy-ca", "wsproxy-state"], after.Spec.Volumes.Select(v => v.Name));
        Assert.Equal(Sorted(new Dictionary<string, string>(before.Metadata.Labels ?? new Dictionary<string, string>()) { ["k8swsproxy.io/sidecar"] = "true" }), Sorted(after.Metadata.Labels));
        Assert.Equal(Options.Image, after.Metadata.Annotations[SidecarPatch.InjectedAnnotation]);
        Assert.Equal(Math.Max(before.Spec.TerminationGracePeriodSeconds ?? 30, 35), after.Spec.TerminationGracePeriodSeconds);

        // The API server may call the webhook again (reinvocationPolicy): the injected pod stays as it is.
        Assert.Equal(InjectionOutcome.Skipped, SidecarPatch.For(patched, Options, native).Outcome);
    }

    [Fact]
    public void The_container_and_volumes_are_those_of_the_example_pod_plus_a_restrictive_security_context()
    {
        var example = (JsonObject)YamlToJson.Convert(File.ReadAllText(Path.Combine(RepoPaths.Examples, "sidecar-pod.yaml")))!;
        var exampleSidecar = example["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == SidecarPatch.ContainerName)!;
        var options = Options with { CaConfigMap = example["spec"]!["volumes"]![1]!["configMap"]!["name"]!.GetValue<string>() };

        var patched = JsonPatch.Apply(Pod("plain"), SidecarPatch.For(Pod("plain"), options, native: false).Patch);
        var sidecar = patched["spec"]!["containers"]![1]!.AsObject();
        var security = Manifests.Strict<V1SecurityContext>(sidecar["securityContext"]!);
        sidecar.Remove("securityContext");

        Assert.True(JsonNode.DeepEquals(exampleSidecar, sidecar), sidecar.ToJsonString());
        Assert.True(JsonNode.DeepEquals(example["spec"]!["volumes"], patched["spec"]!["volumes"]), patched["spec"]!["volumes"]!.ToJsonString());
        Assert.Equal((true, true, false), (security.RunAsNonRoot, security.ReadOnlyRootFilesystem, security.AllowPrivilegeEscalation));
        Assert.Equal(["ALL"], security.Capabilities.Drop);
    }

    [Fact]
    public void Selector_labels_with_slashes_and_tildes_are_escaped_in_the_path()
    {
        var options = Options with { SidecarLabels = new Dictionary<string, string> { ["example.com/proxy~v1"] = "on" } };

        var patch = SidecarPatch.For(Pod("plain"), options, native: true).Patch;
        var patched = JsonPatch.Apply(Pod("plain"), patch);

        Assert.Contains(patch, op => op!["path"]!.GetValue<string>() == "/metadata/labels/example.com~1proxy~0v1");
        Assert.Equal("on", patched["metadata"]!["labels"]!["example.com/proxy~v1"]!.GetValue<string>());
    }

    private static IEnumerable<KeyValuePair<string, string>> Sorted(IDictionary<string, string> map) => map.OrderBy(e => e.Key, StringComparer.Ordinal);

    private static string[] Names(IEnumerable<V1Container> containers) => [.. containers.Select(c => c.Name)];
}
