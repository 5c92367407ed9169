using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;

namespace K8sWsProxy.KubeEmulator.Validation;

/// <summary>
/// The rules of the built-in registries' validation that a schema cannot say, for the kinds the operator, its
/// chart and its tests write: required content, fields that may not change, values that must agree. Worded as
/// k8s.io/kubernetes/pkg/apis/*/validation words them.
/// </summary>
internal static partial class BuiltinValidation
{
    /// <param name="old">The stored object on an update; null on create.</param>
    public static IReadOnlyList<FieldError> Validate(ResourceKind kind, JsonObject obj, JsonObject? old)
    {
        var errors = new List<FieldError>();
        switch (kind.StorageKey)
        {
            case "/pods":
                PodSpec(errors, obj["spec"] as JsonObject, "spec");
                if (old is not null && !JsonNode.DeepEquals(MutablePodSpec(old), MutablePodSpec(obj)))
                {
                    errors.Add(FieldError.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
                }

                break;
            case "/secrets" or "/configmaps":
                KeyedData(errors, obj, old, kind.StorageKey == "/secrets" ? ["data"] : ["data", "binaryData"]);
                if (kind.StorageKey == "/secrets")
                {
                    Secret(errors, obj, old);
                }

                break;
            case "/services":
                Service(errors, obj, old);
                break;
            case "apps/deployments":
                Deployment(errors, obj, old);
                break;
            case "coordination.k8s.io/leases":
                if (obj.Path("spec", "leaseDurationSeconds") is { } duration && duration.Integer() <= 0)
                {
                    errors.Add(FieldError.Invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
                }

                break;
            case "rbac.authorization.k8s.io/rolebindings" or "rbac.authorization.k8s.io/clusterrolebindings":
                Binding(errors, obj, old, clusterScoped: kind.StorageKey.EndsWith("clusterrolebindings", StringComparison.Ordinal));
                break;
            case "admissionregistration.k8s.io/mutatingwebhookconfigurations":
                Webhooks(errors, obj);
                break;
            case "policy/poddisruptionbudgets":
                if (obj.Path("spec", "minAvailable") is not null && obj.Path("spec", "maxUnavailable") is not null)
                {
                    errors.Add(FieldError.Invalid("spec", null, "minAvailable and maxUnavailable cannot be both set"));
                }

                break;
        }

        return errors;
    }

    private static void PodSpec(List<FieldError> errors, JsonObject? spec, string path)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 })
        {
            errors.Add(FieldError.Required(path + ".containers"));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            var containers = (spec?[list] as JsonArray ?? []).ToList();
            for (var i = 0; i < containers.Count; i++)
            {
                var at = $"{path}.{list}[{i}]";
                var container = containers[i] as JsonObject;
                var name = container.Str("name");
                if (name.Length == 0)
                {
                    errors.Add(FieldError.Required(at + ".name"));
                }
                else if (!DnsLabel().IsMatch(name) || name.Length > 63)
                {
                    errors.Add(FieldError.Invalid(at + ".name", name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
                }
                else if (!names.Add(name))
                {
                    errors.Add(FieldError.Duplicate(at + ".name", $"\"{name}\""));
                }

                if (container.Str("image").Length == 0)
                {
                    errors.Add(FieldError.Required(at + ".image"));
                }

                var restart = container.Str("restartPolicy");
                if (restart.Length > 0 && (list == "containers" || restart != "Always"))
                {
                    errors.Add(list == "containers"
                        ? FieldError.Forbidden(at + ".restartPolicy", "may not be set for non-init containers")
                        : FieldError.NotSupported(at + ".restartPolicy", restart, ["Always"]));
                }
            }
        }
    }

    // What a pod update may change (ValidatePodUpdate): images, activeDeadlineSeconds, tolerations, the grace period.
    private static JsonNode? MutablePodSpec(JsonObject pod)
    {
        if (pod["spec"]?.DeepClone() is not JsonObject spec)
        {
            return null;
        }

        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                container.Remove("image");
            }
        }

        foreach (var mutable in new[] { "activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds" })
        {
            spec.Remove(mutable);
        }

        return spec;
    }

    private static void KeyedData(List<FieldError> errors, JsonObject obj, JsonObject? old, string[] fields)
    {
        foreach (var field in fields)
        {
            foreach (var key in (obj[field] as JsonObject ?? []).Select(p => p.Key))
            {
                if (!ConfigKey().IsMatch(key) || key.Length > 253)
                {
                    errors.Add(FieldError.Invalid($"{field}[{key}]", key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
                }
            }
        }

        if (old?["immutable"] is JsonValue immutable && immutable.GetValue<bool>())
        {
            foreach (var field in fields.Where(f => !JsonNode.DeepEquals(old[f], obj[f])))
            {
                errors.Add(FieldError.Forbidden(field, "field is immutable when `immutable` is set"));
            }

            if (obj["immutable"] is not JsonValue still || !still.GetValue<bool>())
            {
                errors.Add(FieldError.Forbidden("immutable", "field is immutable when `immutable` is set"));
            }
        }
    }

    private static void Secret(List<FieldError> errors, JsonObject secret, JsonObject? old)
    {
        var type = secret.Str("type");
        if (old is not null && old.Str("type") != type)
        {
            errors.Add(FieldError.Invalid("type", type, "field is immutable"));
        }

        var required = type switch
        {
            "kubernetes.io/tls" => new[] { "tls.crt", "tls.key" },
            "kubernetes.io/basic-auth" or "kubernetes.io/ssh-auth" or "Opaque" or "" => [],
            "kubernetes.io/dockerconfigjson" => [".dockerconfigjson"],
            _ => [],
        };
        foreach (var key in required.Where(k => secret.Path("data", k) is null))
        {
            errors.Add(FieldError.Required($"data[{key}]"));
        }
    }

    private static void Service(List<FieldError> errors, JsonObject service, JsonObject? old)
    {
        var spec = service["spec"] as JsonObject;
        var headless = spec.Str("clusterIP") == "None";
        if (spec.Str("type") != "ExternalName" && !headless && spec?["ports"] is not JsonArray { Count: > 0 })
        {
            errors.Add(FieldError.Required("spec.ports"));
        }

        foreach (var (port, i) in (spec?["ports"] as JsonArray ?? []).Select((p, i) => (p as JsonObject, i)))
        {
            if (port?["port"].Integer() is not (>= 1 and <= 65535))
            {
                errors.Add(port?["port"] is null
                    ? FieldError.Required($"spec.ports[{i}].port")
                    : FieldError.Invalid($"spec.ports[{i}].port", port["port"], "must be between 1 and 65535, inclusive"));
            }
        }

        var oldIp = old?.Path("spec", "clusterIP")?.ToString() ?? "";
        if (oldIp.Length > 0 && oldIp != spec.Str("clusterIP"))
        {
            errors.Add(FieldError.Invalid("spec.clusterIP", spec.Str("clusterIP"), "field is immutable"));
        }
    }

    private static void Deployment(List<FieldError> errors, JsonObject deployment, JsonObject? old)
    {
        var selector = deployment.Path("spec", "selector") as JsonObject;
        if (selector is null)
        {
            errors.Add(FieldError.Required("spec.selector"));
        }
        else
        {
            var labels = deployment.Path("spec", "template", "metadata", "labels") as JsonObject ?? [];
            var matchLabels = selector["matchLabels"] as JsonObject ?? [];
            if (matchLabels.Count == 0 && selector["matchExpressions"] is not JsonArray { Count: > 0 })
            {
                errors.Add(FieldError.Invalid("spec.selector", null, "empty selector is invalid for deployment"));
            }
            else if (matchLabels.Any(l => labels.Str(l.Key) != l.Value?.ToString()))
            {
                errors.Add(FieldError.Invalid("spec.template.metadata.labels", labels.ToJsonString(), "`selector` does not match template `labels`"));
            }

            if (old?.Path("spec", "selector") is { } oldSelector && !JsonNode.DeepEquals(oldSelector, selector))
            {
                errors.Add(FieldError.Invalid("spec.selector", selector.ToJsonString(), "field is immutable"));
            }
        }

        errors.AddRange(ObjectMetaRules.LabelsAndAnnotations(deployment.Path("spec", "template", "metadata") as JsonObject, "spec.template.metadata"));
        PodSpec(errors, deployment.Path("spec", "template", "spec") as JsonObject, "spec.template.spec");
    }

    private static void Binding(List<FieldError> errors, JsonObject binding, JsonObject? old, bool clusterScoped)
    {
        var roleRef = binding["roleRef"] as JsonObject;
        var kind = roleRef.Str("kind");
        if (roleRef is null || roleRef.Str("name").Length == 0)
        {
            errors.Add(FieldError.Required("roleRef.name"));
        }

        if (kind != "ClusterRole" && (clusterScoped || kind != "Role"))
        {
            errors.Add(FieldError.NotSupported("roleRef.kind", kind, clusterScoped ? ["ClusterRole"] : ["Role", "ClusterRole"]));
        }

        if (old is not null && !JsonNode.DeepEquals(old["roleRef"], roleRef))
        {
            errors.Add(FieldError.Invalid("roleRef", roleRef?.ToJsonString(), "cannot change roleRef"));
        }

        foreach (var (subject, i) in (binding["subjects"] as JsonArray ?? []).Select((s, i) => (s as JsonObject, i)))
        {
            var subjectKind = subject.Str("kind");
            if (subjectKind is not ("ServiceAccount" or "User" or "Group"))
            {
                errors.Add(FieldError.NotSupported($"subjects[{i}].kind", subjectKind, ["ServiceAccount", "User", "Group"]));
            }
            else if (subjectKind == "ServiceAccount" && clusterScoped && subject.Str("namespace").Length == 0)
            {
                errors.Add(FieldError.Required($"subjects[{i}].namespace"));
            }
        }
    }

    private static void Webhooks(List<FieldError> errors, JsonObject configuration)
    {
        foreach (var (hook, i) in (configuration["webhooks"] as JsonArray ?? []).Select((w, i) => (w as JsonObject, i)))
        {
            var at = $"webhooks[{i}]";
            if (hook.Str("name").Split('.').Length < 3)
            {
                errors.Add(FieldError.Invalid(at + ".name", hook.Str("name"), "should be a domain with at least three segments separated by dots"));
            }

            if (hook?["admissionReviewVersions"] is not JsonArray { Count: > 0 })
            {
                errors.Add(FieldError.Required(at + ".admissionReviewVersions", "must specify one of v1, v1beta1"));
            }

            if (hook.Str("sideEffects") is not ("None" or "NoneOnDryRun"))
            {
                errors.Add(hook.Str("sideEffects").Length == 0
                    ? FieldError.Required(at + ".sideEffects", "must specify one of None, NoneOnDryRun")
                    : FieldError.NotSupported(at + ".sideEffects", hook.Str("sideEffects"), ["None", "NoneOnDryRun"]));
            }

            var client = hook?["clientConfig"] as JsonObject;
            var url = client.Str("url");
            if ((url.Length > 0) == (client?["service"] is JsonObject))
            {
                errors.Add(FieldError.Required(at + ".clientConfig", "exactly one of url or service is required"));
            }
            else if (url.Length > 0 && !url.StartsWith("https://", StringComparison.Ordinal))
            {
                errors.Add(FieldError.Invalid(at + ".clientConfig.url", url, "'https' is the only allowed URL scheme"));
            }
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();
}
