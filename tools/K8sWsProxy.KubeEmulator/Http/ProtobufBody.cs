using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>
/// Request bodies in <c>application/vnd.kubernetes.protobuf</c>, which client-go's typed clients send for built-in
/// kinds (helm's release Secrets; <c>kubectl create</c> of namespaces, secrets, config maps, service accounts and RBAC; <c>kubectl auth can-i</c>): the "k8s\0" envelope around a runtime.Unknown,
/// decoded to JSON with the field numbers of k8s.io/api's generated.proto for the kinds those clients write.
/// Answers stay JSON, which those clients also accept. Another kind is refused with 415, as before.
/// </summary>
internal static class ProtobufBody
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static readonly Message OwnerReference = new(
    [
        new(1, "kind", Wire.String), new(3, "name", Wire.String), new(4, "uid", Wire.String), new(5, "apiVersion", Wire.String),
        new(6, "controller", Wire.Bool), new(7, "blockOwnerDeletion", Wire.Bool),
    ]);

    private static readonly Message ObjectMeta = new(
    [
        new(1, "name", Wire.String), new(2, "generateName", Wire.String), new(3, "namespace", Wire.String), new(5, "uid", Wire.String),
        new(6, "resourceVersion", Wire.String), new(7, "generation", Wire.Int), new(8, "creationTimestamp", Wire.Time),
        new(11, "labels", Wire.StringMap), new(12, "annotations", Wire.StringMap), new(13, "ownerReferences", Wire.Message, OwnerReference, Repeated: true),
        new(14, "finalizers", Wire.String, Repeated: true),
    ]);

    private static readonly Message PolicyRule = new(
    [
        new(1, "verbs", Wire.String, Repeated: true), new(2, "apiGroups", Wire.String, Repeated: true), new(3, "resources", Wire.String, Repeated: true),
        new(4, "resourceNames", Wire.String, Repeated: true), new(5, "nonResourceURLs", Wire.String, Repeated: true),
    ]);

    private static readonly Message RoleBinding = new(
    [
        new(1, "metadata", Wire.Message, ObjectMeta),
        new(2, "subjects", Wire.Message, new([new(1, "kind", Wire.String), new(2, "apiGroup", Wire.String), new(3, "name", Wire.String), new(4, "namespace", Wire.String)]), Repeated: true),
        new(3, "roleRef", Wire.Message, new([new(1, "apiGroup", Wire.String), new(2, "kind", Wire.String), new(3, "name", Wire.String)])),
    ]);

    private static readonly Dictionary<string, Message> Kinds = new(StringComparer.Ordinal)
    {
        ["Secret"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(2, "data", Wire.BytesMap), new(3, "type", Wire.String), new(4, "stringData", Wire.StringMap), new(5, "immutable", Wire.Bool)]),
        ["ConfigMap"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(2, "data", Wire.StringMap), new(3, "binaryData", Wire.BytesMap), new(4, "immutable", Wire.Bool)]),
        ["Namespace"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(2, "spec", Wire.Message, new([new(1, "finalizers", Wire.String, Repeated: true)]))]),
        ["ServiceAccount"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(4, "automountServiceAccountToken", Wire.Bool)]),
        ["Role"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(2, "rules", Wire.Message, PolicyRule, Repeated: true)]),
        ["ClusterRole"] = new([new(1, "metadata", Wire.Message, ObjectMeta), new(2, "rules", Wire.Message, PolicyRule, Repeated: true)]),
        ["RoleBinding"] = RoleBinding,
        ["ClusterRoleBinding"] = RoleBinding,
        ["SelfSubjectAccessReview"] = new(
        [
            new(1, "metadata", Wire.Message, ObjectMeta),
            new(2, "spec", Wire.Message, new(
            [
                new(1, "resourceAttributes", Wire.Message, new(
                [
                    new(1, "namespace", Wire.String), new(2, "verb", Wire.String), new(3, "group", Wire.String), new(4, "version", Wire.String),
                    new(5, "resource", Wire.String), new(6, "subresource", Wire.String), new(7, "name", Wire.String),
                ])),
                new(2, "nonResourceAttributes", Wire.Message, new([new(1, "path", Wire.String), new(2, "verb", Wire.String)])),
            ])),
        ]),
        ["DeleteOptions"] = new(
        [
            new(1, "gracePeriodSeconds", Wire.Int), new(2, "preconditions", Wire.Message, new([new(1, "uid", Wire.String), new(2, "resourceVersion", Wire.String)])),
            new(3, "orphanDependents", Wire.Bool), new(4, "propagationPolicy", Wire.String), new(5, "dryRun", Wire.String, Repeated: true),
        ]),
    };

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < 4 || body[0] != 'k' || body[1] != '8' || body[2] != 's' || body[3] != 0)
        {
            throw ApiException.BadRequest("protobuf body without the k8s envelope");
        }

        var unknown = Read(body.AsSpan(4), new Message(
        [
            new(1, "typeMeta", Wire.Message, new([new(1, "apiVersion", Wire.String), new(2, "kind", Wire.String)])),
            new(2, "raw", Wire.Bytes),
        ]));
        var kind = unknown.Path("typeMeta", "kind")?.ToString() ?? "";
        if (!Kinds.TryGetValue(kind, out var message))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {MediaType} for {kind})");
        }

        var obj = Read(Convert.FromBase64String(unknown.Str("raw")), message);
        obj.Insert(0, "kind", kind);
        obj.Insert(0, "apiVersion", unknown.Path("typeMeta", "apiVersion")?.DeepClone());
        return obj;
    }

    private static JsonObject Read(ReadOnlySpan<byte> data, Message message)
    {
        var obj = new JsonObject();
        while (data.Length > 0)
        {
            var tag = Varint(ref data);
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            var field = message.Fields.FirstOrDefault(f => f.Number == number);
            ReadOnlySpan<byte> bytes = default;
            var value = 0UL;
            switch (wireType)
            {
                case 0:
                    value = Varint(ref data);
                    break;
                case 2:
                    var length = checked((int)Varint(ref data));
                    bytes = data[..length];
                    data = data[length..];
                    break;
                default:
                    throw ApiException.BadRequest($"protobuf wire type {wireType} is not used by Kubernetes objects");
            }

            if (field is null)
            {
                continue;
            }

            JsonNode? node = field.Wire switch
            {
                Wire.String => Encoding.UTF8.GetString(bytes),
                Wire.Bytes => Convert.ToBase64String(bytes),
                Wire.Bool => value != 0,
                Wire.Int => (long)value,
                Wire.Message => Read(bytes, field.Type!),
                Wire.Time => TimeOf(bytes),
                _ => null,
            };
            if (field.Wire is Wire.StringMap or Wire.BytesMap)
            {
                var entry = Read(bytes, new([new(1, "key", Wire.String), new(2, "value", field.Wire == Wire.StringMap ? Wire.String : Wire.Bytes)]));
                var map = obj[field.Name] as JsonObject ?? [];
                map[entry.Str("key")] = entry.Str("value");
                obj[field.Name] = map;
            }
            else if (field.Repeated)
            {
                var list = obj[field.Name] as JsonArray ?? [];
                list.Add(node);
                obj[field.Name] = list;
            }
            else if (node is not JsonValue { } scalar || !(scalar.ToString() is "" or "0"))
            {
                // Go's JSON leaves out the empty strings and zeros proto2 writes for every non-pointer field.
                obj[field.Name] = node;
            }
        }

        return obj;
    }

    // metav1.Time is a Timestamp message; its first field is the seconds.
    private static string TimeOf(ReadOnlySpan<byte> data)
    {
        var seconds = 0L;
        while (data.Length > 0)
        {
            var tag = Varint(ref data);
            var value = (long)Varint(ref data);
            if (tag >> 3 == 1)
            {
                seconds = value;
            }
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ulong Varint(ref ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (data.IsEmpty)
            {
                break;
            }

            var b = data[0];
            data = data[1..];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw ApiException.BadRequest("protobuf body ends inside a number");
    }

    private enum Wire
    {
        String,
        Bytes,
        Bool,
        Int,
        Message,
        Time,
        StringMap,
        BytesMap,
    }

    private sealed record Field(int Number, string Name, Wire Wire, Message? Type = null, bool Repeated = false);

    private sealed record Message(IReadOnlyList<Field> Fields);
}
