using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Contracts.Hosting;

namespace K8sWsProxy.Operator.Injection;

/// <summary>
/// The pod as the webhook receives it, to the JSON Patch that adds the sidecar as examples/sidecar-pod.yaml writes it
/// by hand: the wsproxy container (first init container with restartPolicy Always when native, else the last
/// container), its three volumes, the selector labels, an annotation naming the image, and a grace period long
/// enough for the sidecar's drain. Pure: the same pod and options give the same patch.
/// </summary>
internal static class SidecarPatch
{
    public const string ContainerName = "wsproxy";
    public const string OptOutLabel = "k8swsproxy.io/inject";
    public const string InjectedAnnotation = "k8swsproxy.io/injected";

    private const string TokenVolume = "wsproxy-token";
    private const string CaVolume = "wsproxy-ca";
    private const string StateVolume = "wsproxy-state";
    private static readonly string TokenDirectory = Path.GetDirectoryName(SidecarDefaults.TokenFile)!;
    private const string CaDirectory = "/etc/k8s-ws-proxy";
    private const string StateDirectory = "/var/lib/k8s-ws-proxy";

    /// <summary>The pod's network namespace is shared: a port of another long-running container among these would keep the sidecar from binding.</summary>
    private static readonly (string Name, int Port)[] Ports = [("ws", 8000), ("wss", 8443), ("wsproxy-admin", 9901)];

    /// <summary>Kubernetes' default when a pod sets none.</summary>
    private const long DefaultGracePeriodSeconds = 30;

    /// <summary>The sidecar's drain on SIGTERM, and a little for the process to exit after it.</summary>
    private static readonly long GracePeriodSeconds = (long)(SidecarDefaults.ShutdownTimeout + TimeSpan.FromSeconds(5)).TotalSeconds;

    public static InjectionDecision For(JsonObject pod, SidecarInjection options, bool native)
    {
        // Every pod has both (a name or generateName, containers); the API server would refuse one without anyway.
        if (pod["metadata"] is not JsonObject metadata)
        {
            return InjectionDecision.Refuse("metadata: the pod has none");
        }

        if (pod["spec"] is not JsonObject spec)
        {
            return InjectionDecision.Refuse("spec: the pod has none");
        }

        var labels = metadata["labels"] as JsonObject;
        if (JsonText.Of(labels?[OptOutLabel]) == "false")
        {
            return InjectionDecision.Skip($"the pod is labelled {OptOutLabel}=false");
        }

        var containers = spec["containers"] as JsonArray;
        var initContainers = spec["initContainers"] as JsonArray;
        if (Named(containers, ContainerName) >= 0 || Named(initContainers, ContainerName) >= 0)
        {
            return InjectionDecision.Skip($"the pod already has a container named {ContainerName}");
        }

        var volumes = spec["volumes"] as JsonArray;
        foreach (var name in new[] { TokenVolume, CaVolume, StateVolume })
        {
            if (Named(volumes, name) is var i and >= 0)
            {
                return InjectionDecision.Refuse($"spec.volumes[{i}].name: {name} is the K8sWsProxy sidecar's volume; rename it, or label the pod {OptOutLabel}=false");
            }
        }

        if ((PortConflict("containers", containers) ?? PortConflict("initContainers", initContainers)) is { } conflict)
        {
            return InjectionDecision.Refuse(conflict);
        }

        var patch = new List<JsonNode>();
        if (native)
        {
            patch.Add(initContainers is null ? Add("/spec/initContainers", new JsonArray(Container(options, native))) : Add("/spec/initContainers/0", Container(options, native)));
        }
        else
        {
            patch.AddRange(Append("/spec/containers", containers, [Container(options, native)]));
        }

        patch.AddRange(Append("/spec/volumes", volumes, Volumes(options)));
        patch.AddRange(Put("/metadata/labels", labels, options.SidecarLabels));
        patch.AddRange(Put("/metadata/annotations", metadata["annotations"] as JsonObject, new Dictionary<string, string> { [InjectedAnnotation] = options.Image }));

        var grace = spec["terminationGracePeriodSeconds"] is JsonValue value && value.TryGetValue<long>(out var seconds) ? seconds : DefaultGracePeriodSeconds;
        if (grace < GracePeriodSeconds)
        {
            patch.Add(Add("/spec/terminationGracePeriodSeconds", GracePeriodSeconds));
        }

        return InjectionDecision.Inject([.. patch]);
    }

    private static JsonObject Container(SidecarInjection options, bool native)
    {
        var container = new JsonObject
        {
            ["name"] = ContainerName,
            ["image"] = options.Image,
            ["args"] = new JsonArray(
                "--operator", options.OperatorUrl,
                "--token-file", SidecarDefaults.TokenFile,
                "--operator-ca", CaDirectory + "/ca.crt",
                "--state-dir", StateDirectory,
                "--listen", $"0.0.0.0:{Ports[0].Port}",
                "--listen-tls", $"0.0.0.0:{Ports[1].Port}",
                "--admin", $"0.0.0.0:{Ports[2].Port}"),
            ["ports"] = new JsonArray([.. Ports.Select(p => new JsonObject { ["name"] = p.Name, ["containerPort"] = p.Port })]),
            ["readinessProbe"] = Probe("/readyz"),
            ["livenessProbe"] = Probe("/healthz"),
            ["volumeMounts"] = new JsonArray(
                new JsonObject { ["name"] = TokenVolume, ["mountPath"] = TokenDirectory, ["readOnly"] = true },
                new JsonObject { ["name"] = CaVolume, ["mountPath"] = CaDirectory, ["readOnly"] = true },
                new JsonObject { ["name"] = StateVolume, ["mountPath"] = StateDirectory }),
            // What the restricted Pod Security Standard asks; the image runs as a numeric non-root user.
            ["securityContext"] = new JsonObject
            {
                ["runAsNonRoot"] = true,
                ["readOnlyRootFilesystem"] = true,
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
            },
        };
        if (native)
        {
            // A restartable init container: started before the app's containers, stopped after them.
            container["restartPolicy"] = "Always";
        }

        return container;
    }

    private static JsonObject Probe(string path) =>
        new() { ["httpGet"] = new JsonObject { ["path"] = path, ["port"] = Ports[2].Name } };

    private static JsonObject[] Volumes(SidecarInjection options) =>
    [
        new()
        {
            ["name"] = TokenVolume,
            ["projected"] = new JsonObject
            {
                ["sources"] = new JsonArray(new JsonObject
                {
                    ["serviceAccountToken"] = new JsonObject { ["audience"] = ChannelProtocol.Audience, ["expirationSeconds"] = 3600, ["path"] = Path.GetFileName(SidecarDefaults.TokenFile) },
                }),
            },
        },
        new() { ["name"] = CaVolume, ["configMap"] = new JsonObject { ["name"] = options.CaConfigMap } },
        new() { ["name"] = StateVolume, ["emptyDir"] = new JsonObject() },
    ];

    /// <summary>
    /// The first declared port the sidecar listens on too, as a refusal naming the field. Init containers count only
    /// when they are sidecars themselves (restartPolicy Always): the others run before the app and end.
    /// </summary>
    private static string? PortConflict(string field, JsonArray? containers)
    {
        for (var i = 0; i < (containers?.Count ?? 0); i++)
        {
            if (field == "initContainers" && JsonText.Of(containers![i]?["restartPolicy"]) != "Always")
            {
                continue;
            }

            var ports = containers![i]?["ports"] as JsonArray;
            for (var j = 0; j < (ports?.Count ?? 0); j++)
            {
                var port = ports![j]?["containerPort"] is JsonValue v && v.TryGetValue<int>(out var p) ? p : 0;
                if (Ports.FirstOrDefault(s => s.Port == port) is { Name: { } name })
                {
                    return $"spec.{field}[{i}].ports[{j}].containerPort: {port} is the K8sWsProxy sidecar's {name} port; move it, or label the pod {OptOutLabel}=false";
                }
            }
        }

        return null;
    }

    /// <summary>Sets entries of a map (labels, annotations): the whole map when the pod has none, else key by key.</summary>
    private static IEnumerable<JsonObject> Put(string path, JsonObject? map, IReadOnlyDictionary<string, string> entries) =>
        map is null
            ? entries.Count == 0 ? [] : [Add(path, Map(entries))]
            : entries.Select(e => Add(path + "/" + Escape(e.Key), e.Value));

    /// <summary>RFC 6902 cannot append to an array that is not there: one the pod lacks is added whole.</summary>
    private static IEnumerable<JsonObject> Append(string path, JsonArray? array, JsonObject[] items) =>
        array is null ? [Add(path, new JsonArray(items))] : items.Select(item => Add(path + "/-", item));

    private static JsonObject Map(IReadOnlyDictionary<string, string> entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value)));

    private static JsonObject Add(string path, JsonNode value) => new() { ["op"] = "add", ["path"] = path, ["value"] = value };

    /// <summary>RFC 6901: "~" and "/" in a key are written "~0" and "~1".</summary>
    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static int Named(JsonArray? items, string name)
    {
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            if (JsonText.Of(items![i]?["name"]) == name)
            {
                return i;
            }
        }

        return -1;
    }
}
