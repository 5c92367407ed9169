using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.KubeEmulator.Validation;

namespace K8sWsProxy.Operator.Tests;

/// <summary>Keeps the C# types, crds/websocketroutes.k8swsproxy.io.yaml and examples/*.yaml saying the same thing.</summary>
public sealed class CrdAgreementTests
{
    private static readonly JsonObject Crd = YamlToJson.Convert(File.ReadAllText(RepoPaths.Crd))!.AsObject();

    private static JsonObject Version => Crd["spec"]!["versions"]![0]!.AsObject();

    private static JsonObject Schema => Version["schema"]!["openAPIV3Schema"]!.AsObject();

    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(RepoPaths.Examples, "*.yaml").Where(IsManifest).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void The_crd_is_a_strict_CustomResourceDefinition_with_the_names_of_the_csharp_type()
    {
        var crd = Manifests.Strict<V1CustomResourceDefinition>(Crd);

        Assert.Equal($"{WebSocketRoute.Plural}.{WebSocketRoute.Group}", crd.Metadata.Name);
        Assert.Equal(WebSocketRoute.Group, crd.Spec.Group);
        Assert.Equal("Namespaced", crd.Spec.Scope);
        Assert.Equal((WebSocketRoute.KindName, WebSocketRoute.Plural), (crd.Spec.Names.Kind, crd.Spec.Names.Plural));
        Assert.Equal([WebSocketRoute.ShortName], crd.Spec.Names.ShortNames);
        Assert.Equal([WebSocketRoute.Category], crd.Spec.Names.Categories);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.Equal((WebSocketRoute.Version, true, true), (version.Name, version.Served, version.Storage));
        Assert.NotNull(version.Subresources.Status);
    }

    [Fact]
    public void Every_field_has_a_description_for_kubectl_explain()
    {
        var crd = Manifests.Strict<V1CustomResourceDefinition>(Crd);
        var missing = new List<string>();
        void Walk(V1JSONSchemaProps node, string path)
        {
            foreach (var (name, property) in node.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
            {
                if (string.IsNullOrWhiteSpace(property.Description))
                {
                    missing.Add(path + "." + name);
                }

                Walk(property, path + "." + name);
                if (property.Items is { } items)
                {
                    Walk(KubernetesJson.Deserialize<V1JSONSchemaProps>(KubernetesJson.Serialize(items)), path + "." + name + "[]");
                }
            }
        }

        Walk(Assert.Single(crd.Spec.Versions).Schema.OpenAPIV3Schema, "");
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_printer_column_reads_a_field_of_the_schema()
    {
        foreach (var column in Version["additionalPrinterColumns"]!.AsArray().Select(c => (string)c!["jsonPath"]!))
        {
            if (column == ".metadata.creationTimestamp")
            {
                continue;
            }

            JsonObject? at = Schema;
            foreach (var segment in Regex.Replace(column, @"\[[^\]]*\]", "[]").Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                at = at?["properties"]?[segment.TrimEnd('[', ']')] as JsonObject;
                at = segment.EndsWith("[]", StringComparison.Ordinal) ? at?["items"] as JsonObject : at;
            }

            Assert.True(at is not null, $"printer column {column} reads no field of the schema");
        }
    }

    [Fact]
    public void Every_csharp_property_is_in_the_schema_with_its_type_and_every_schema_property_in_csharp()
    {
        var errors = new List<string>();
        Agree(typeof(WebSocketRoute), Schema, "", errors);
        None(errors);
    }

    [Fact]
    public void Schema_defaults_are_the_csharp_defaults()
    {
        var errors = new List<string>();
        Defaults(typeof(WebSocketRouteSpec), Schema["properties"]!["spec"]!.AsObject(), "spec", errors);
        None(errors);
    }

    [Theory]
    [InlineData("spec.timeouts.connect")]
    [InlineData("spec.timeouts.handshake")]
    [InlineData("spec.timeouts.idle")]
    [InlineData("spec.timeouts.drain")]
    [InlineData("spec.upstream.retry.initialInterval")]
    [InlineData("spec.websocket.keepAliveInterval")]
    public void Durations_use_the_contract_pattern(string path)
    {
        var at = path.Split('.').Aggregate(Schema, (s, name) => s["properties"]![name]!.AsObject());
        Assert.Equal(Duration.Pattern, (string?)at["pattern"]);
    }

    [Fact]
    public void The_schema_refuses_what_the_api_server_would()
    {
        var route = YamlToJson.Convert("""
            apiVersion: k8swsproxy.io/v1alpha1
            kind: WebSocketRoute
            metadata: {name: bad}
            spec:
              selector: {}
              match: {pathType: Suffix, hostz: [a]}
              upstream: {endpoints: [{url: "http://x", weight: 0}]}
              timeouts: {idle: 5 minutes}
            """)!;

        var errors = Admit(route.AsObject());

        Assert.Equal(
            ["spec.match.hostz", "spec.match.pathType", "spec.timeouts.idle", "spec.upstream.endpoints[0].url", "spec.upstream.endpoints[0].weight"],
            errors.Select(e => e[..e.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_schema_refuses_message_rules_and_failover_settings_out_of_bounds()
    {
        var route = YamlToJson.Convert($$$"""
            apiVersion: k8swsproxy.io/v1alpha1
            kind: WebSocketRoute
            metadata: {name: bad}
            spec:
              selector: {}
              upstream:
                endpoints: [{url: "ws://x"}]
                onLost: Sometimes
                failover: {closeCodes: [999], bufferMessages: 10001, onBufferFull: Block}
              messages:
                maxBytes: 0
                rules:
                  - {name: Snot, match: {exact: snot, prefix: s}, text: badger}
                  - {name: b, match: {}, action: Close, closeCode: 999}
                  - {name: c, match: {json: {field: data..kind, value: x}}, action: Close, closeReason: "{{{new string('x', 124)}}}"}
            """)!;

        var errors = Admit(route.AsObject());

        Assert.Equal(
            [
                "spec.messages.maxBytes", "spec.messages.rules[0].match", "spec.messages.rules[0].name", "spec.messages.rules[1].closeCode",
                "spec.messages.rules[1].match", "spec.messages.rules[2].closeReason", "spec.messages.rules[2].match.json.field",
                "spec.upstream.failover.bufferMessages", "spec.upstream.failover.closeCodes[0]", "spec.upstream.failover.onBufferFull", "spec.upstream.onLost",
            ],
            errors.Select(e => e[..e.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_is_read_strictly_admitted_by_the_schema_and_accepted_by_the_compiler(string file)
    {
        var nodes = YamlToJson.ConvertAll(File.ReadAllText(Path.Combine(RepoPaths.Examples, file))).OfType<JsonObject>().ToList();
        foreach (var node in nodes.Where(n => (string?)n["kind"] == WebSocketRoute.KindName))
        {
            None(Admit(node));
        }

        var objects = nodes.Select(Manifests.Read).ToList();
        var routes = objects.OfType<WebSocketRoute>().ToList();
        Assert.NotEmpty(routes);

        // One sidecar pod per route, labelled as its selector asks, so every route is compiled for real.
        var pods = routes.Select((r, i) => new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = $"pod-{i}", NamespaceProperty = r.Namespace, Labels = r.Spec.Selector.MatchLabels },
        }).ToList();
        var result = ConfigCompiler.Compile(new RouteSnapshot(routes, pods, [.. objects.OfType<V1Secret>()]));

        Assert.All(result.Verdicts, v => Assert.True(v.Accepted.Accepted, $"{v.Key}: {v.Accepted.Reason}: {v.Accepted.Message}"));
        Assert.All(result.Verdicts, v => Assert.NotEmpty(v.Sidecars));
    }

    [Fact]
    public void A_route_round_trips_through_KubernetesJson_with_camelCase_names_and_enums_as_strings()
    {
        var route = (WebSocketRoute)Manifests.Load(File.ReadAllText(Path.Combine(RepoPaths.Examples, "route.yaml")))[0];
        route.Status = new WebSocketRouteStatus
        {
            ObservedGeneration = 2,
            Revision = "sha256:00",
            Sidecars = new SidecarCounts { Selected = 1, Synced = 1, Summary = "1/1" },
            Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Synced", Message = "1/1", LastTransitionTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }],
        };

        var json = KubernetesJson.Serialize(route);
        var node = JsonNode.Parse(json)!;
        var back = KubernetesJson.Deserialize<WebSocketRoute>(json);

        Assert.Equal(json, KubernetesJson.Serialize(back));
        Assert.Equal("Prefix", (string?)node["spec"]!["match"]!["pathType"]);
        Assert.Equal("RoundRobin", (string?)node["spec"]!["upstream"]!["loadBalancing"]);
        Assert.Equal(1048576, (long)node["spec"]!["websocket"]!["maxMessageBytes"]!);
        Assert.Equal("2026-01-01T00:00:00Z", (string?)node["status"]!["conditions"]![0]!["lastTransitionTime"]);
        None(Admit(node.AsObject()));
        Assert.Equal(route.Status, back.Status);
    }

    /// <summary>What the API server (as the emulator does it) says about <paramref name="route"/>: field errors and unknown fields.</summary>
    private static IReadOnlyList<string> Admit(JsonObject route)
    {
        var (errors, unknown) = SchemaValidator.Apply(route.DeepClone().AsObject(), Schema);
        return [.. errors.Select(e => $"{e.Field}: {e.Type}: {e.Detail}"), .. unknown.Select(field => $"{field}: unknown field")];
    }

    private static void None(IReadOnlyCollection<string> errors) => Assert.True(errors.Count == 0, string.Join("\n", errors));

    /// <summary>
    /// Files with a WebSocketRoute; examples/standalone.yaml is a sidecar document (the sidecar's tests check it) and
    /// examples/sidecar-pod.yaml a Pod (the chart's tests check its arguments).
    /// </summary>
    private static bool IsManifest(string file) =>
        YamlToJson.ConvertAll(File.ReadAllText(file)).OfType<JsonObject>().Any(n => (string?)n["kind"] == WebSocketRoute.KindName);

    private static void Agree(Type type, JsonObject schema, string path, List<string> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var (expected, format) = SchemaType(type);
        if ((string?)schema["type"] != expected || (format is not null && (string?)schema["format"] != format))
        {
            errors.Add($"{path}: C# {type.Name} is {expected} {format}, the schema says {schema["type"]} {schema["format"]}");
            return;
        }

        if (type.IsEnum && !(schema["enum"]?.AsArray().Select(e => (string)e!) ?? []).SequenceEqual(Enum.GetNames(type)))
        {
            errors.Add($"{path}: enum values differ from {type.Name}'s");
        }

        if (Element(type) is { } element)
        {
            var child = (expected == "array" ? schema["items"] : schema["additionalProperties"]) as JsonObject;
            if (child is null)
            {
                errors.Add($"{path}: the schema has no {(expected == "array" ? "items" : "additionalProperties")}");
                return;
            }

            Agree(element, child, path + "[]", errors);
        }
        else if (expected == "object" && type != typeof(V1ObjectMeta))
        {
            var properties = schema["properties"]?.AsObject() ?? [];
            var csharp = Properties(type).ToDictionary(p => p.Name, p => p.Property);
            foreach (var name in properties.Select(p => p.Key).Except(csharp.Keys))
            {
                errors.Add($"{path}.{name}: in the schema, not in {type.Name}");
            }

            foreach (var (name, property) in csharp)
            {
                if (properties[name] is JsonObject child)
                {
                    Agree(property.PropertyType, child, $"{path}.{name}", errors);
                }
                else
                {
                    errors.Add($"{path}.{name}: in {type.Name}, not in the schema");
                }
            }
        }
    }

    /// <summary>Scalars with a value in C# have it as the schema default; objects present in C# default to {}; lists and maps have none.</summary>
    private static void Defaults(Type type, JsonObject schema, string path, List<string> errors)
    {
        var instance = Activator.CreateInstance(type)!;
        var required = schema["required"]?.AsArray().Select(r => (string)r!).ToHashSet() ?? [];
        foreach (var (name, property) in Properties(type))
        {
            var child = schema["properties"]![name]!.AsObject();
            var value = property.GetValue(instance);
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var isObject = SchemaType(propertyType).Type == "object" && Element(propertyType) is null;
            JsonNode? expected = required.Contains(name) || value is null || Element(propertyType) is not null ? null
                : isObject ? new JsonObject()
                : JsonNode.Parse(KubernetesJson.Serialize(value));
            if (!JsonNode.DeepEquals(expected, child["default"]))
            {
                errors.Add($"{path}.{name}: C# default {expected?.ToJsonString() ?? "none"}, schema default {child["default"]?.ToJsonString() ?? "none"}");
            }

            if (isObject)
            {
                Defaults(propertyType, child, $"{path}.{name}", errors);
            }
            else if (Element(propertyType) is { } element && SchemaType(element).Type == "object" && child["items"] is JsonObject items)
            {
                Defaults(element, items, $"{path}.{name}[]", errors);
            }
        }
    }

    private static IEnumerable<(string Name, PropertyInfo Property)> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name), p));

    private static (string Type, string? Format) SchemaType(Type type) => type switch
    {
        _ when type == typeof(string) || type.IsEnum => ("string", null),
        _ when type == typeof(DateTime) => ("string", "date-time"),
        _ when type == typeof(bool) => ("boolean", null),
        _ when type == typeof(int) => ("integer", "int32"),
        _ when type == typeof(long) => ("integer", "int64"),
        _ when type == typeof(double) => ("number", "double"),
        _ when Element(type) is not null && Dictionary(type) is null => ("array", null),
        _ => ("object", null),
    };

    /// <summary>The item type of a list, or the value type of a string-keyed map; null for anything else.</summary>
    private static Type? Element(Type type) =>
        Dictionary(type)?.GetGenericArguments()[1]
        ?? (type == typeof(string) ? null : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0]);

    private static Type? Dictionary(Type type) =>
        type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IReadOnlyDictionary<,>) || d == typeof(IDictionary<,>)));
}
