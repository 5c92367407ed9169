using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>
/// A structural schema of a built-in kind, read from KubernetesClient's model of it (generated from the API
/// server's own OpenAPI). It gives built-ins what the real server's decoder does: unknown fields reported (or
/// refused under <c>fieldValidation=Strict</c>) and wrong types refused, and OpenAPI documents for clients that
/// validate before they send (helm) or explain (kubectl explain).
/// </summary>
internal static class ModelSchema
{
    private static readonly ConcurrentDictionary<Type, JsonObject> Cache = new();

    public static JsonObject Of<T>() => Cache.GetOrAdd(typeof(T), t => Object(t, []));

    private static JsonObject Of(Type type, HashSet<Type> enclosing)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = type == typeof(int) ? "int32" : "int64" };
        }

        if (type == typeof(double) || type == typeof(float))
        {
            return new JsonObject { ["type"] = "number" };
        }

        if (type == typeof(DateTime))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (type == typeof(byte[]))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        }

        if (type == typeof(IntOrString) || type == typeof(ResourceQuantity))
        {
            return new JsonObject { ["x-kubernetes-int-or-string"] = true };
        }

        if (Generic(type, typeof(IDictionary<,>)) is { } map)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = Of(map[1], enclosing) };
        }

        if (Generic(type, typeof(IList<>)) is { } list)
        {
            return new JsonObject { ["type"] = "array", ["items"] = Of(list[0], enclosing) };
        }

        // object, JsonElement (RawExtension) and a model that contains itself (JSONSchemaProps) take any content.
        if (type.Namespace != "k8s.Models" || type.IsEnum || enclosing.Contains(type))
        {
            return new JsonObject { ["x-kubernetes-preserve-unknown-fields"] = true };
        }

        return Object(type, enclosing);
    }

    private static JsonObject Object(Type type, HashSet<Type> enclosing)
    {
        enclosing.Add(type);
        var properties = new JsonObject();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is { } name)
            {
                properties[name.Name] = Of(property.PropertyType, enclosing);
            }
        }

        enclosing.Remove(type);
        return new JsonObject { ["type"] = "object", ["properties"] = properties };
    }

    private static Type[]? Generic(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type.GetGenericArguments()
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();
}
