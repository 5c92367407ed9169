using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;

namespace K8sWsProxy.KubeEmulator.Validation;

/// <summary>Applies a kind's schema (a CRD version's, or a built-in's model) to a write and turns the findings into the real server's answers.</summary>
internal static class SchemaValidation
{
    /// <summary>Prunes and defaults <paramref name="obj"/>; throws 400 (strict unknown fields) or 422; returns warnings.</summary>
    public static IReadOnlyList<string> Apply(ResourceKind kind, JsonObject obj, FieldValidation mode)
    {
        if (kind.Schema is null)
        {
            return [];
        }

        var (errors, unknown) = SchemaValidator.Apply(obj, kind.Schema);
        if (unknown.Count > 0 && mode == FieldValidation.Strict)
        {
            throw ApiException.BadRequest(
                $"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: strict decoding error: "
                + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, Json.JsonNodeExtensions.Name(obj), errors);
        }

        return mode == FieldValidation.Warn ? unknown.Select(u => $"unknown field \"{u}\"").ToArray() : [];
    }
}
