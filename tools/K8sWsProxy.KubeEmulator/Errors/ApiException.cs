using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Errors;

/// <summary>
/// A failed API call, carried up to the HTTP layer which writes it as a metav1.Status body.
/// Only the factory methods build one, so every error has the reason/code pairing the real server uses.
/// </summary>
internal sealed class ApiException : Exception
{
    private ApiException(int code, string reason, string message, JsonObject? details)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message, null);

    public static ApiException NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{Qualified(resource, group)} \"{name}\" not found", Detail(name, group, resource));

    public static ApiException NotFoundPath(string path) =>
        new(404, "NotFound", $"the server could not find the requested resource ({path})", new JsonObject());

    public static ApiException AlreadyExists(string group, string resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} \"{name}\" already exists", Detail(name, group, resource));

    public static ApiException Conflict(string group, string resource, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Detail(name, group, resource));

    /// <summary>Server-side apply met fields other managers own with other values; each cause names the field and its manager.</summary>
    public static ApiException ApplyConflict(string group, string resource, string name, IReadOnlyList<JsonObject> causes)
    {
        var details = Detail(name, group, resource);
        details["causes"] = new JsonArray(causes.Select(c => (JsonNode)c.DeepClone()).ToArray());
        var message = causes.Count == 1
            ? $"Apply failed with 1 conflict: {causes[0]["message"]}: {causes[0]["field"]}"
            : $"Apply failed with {causes.Count} conflicts: " + string.Join("\n", causes.Select(c => $"{c["message"]}: {c["field"]}"));
        return new ApiException(409, "Conflict", message, details);
    }

    public static ApiException Forbidden(string group, string resource, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(resource, group)} \"{name}\" is forbidden: {why}", Detail(name, group, resource));

    /// <summary>RBAC said no: "pods is forbidden: User …" (with the name when the request has one).</summary>
    public static ApiException Denied(string group, string resource, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(resource, group)}{(name.Length > 0 ? $" \"{name}\"" : "")} is forbidden: {why}", Detail(name, group, resource));

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized", null);

    public static ApiException MethodNotAllowedFor(string message) => new(405, "MethodNotAllowed", message, new JsonObject());

    /// <summary>A uid or resourceVersion precondition that does not hold: a 409 Conflict, worded by the storage layer.</summary>
    public static ApiException PreconditionFailed(string group, string resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": Precondition failed: {why}", Detail(name, group, resource));

    public static ApiException Gone(string message) => new(410, "Expired", message, null);

    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var summary = errors.Count == 1
            ? errors[0].ToString()
            : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var details = Detail(name, group, kind);
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)e.ToCause()).ToArray());
        return new ApiException(422, "Invalid", $"{Qualified(kind, group)} \"{name}\" is invalid: {summary}", details);
    }

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message, null);

    public static ApiException MethodNotAllowed(string verb) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({verb})", new JsonObject());

    public static ApiException Injected(int code) => code == 429
        ? new ApiException(429, "TooManyRequests", "injected by the emulator: too many requests, please try again later", new JsonObject { ["retryAfterSeconds"] = 1 })
        : new ApiException(code, "InternalError", "injected by the emulator: an error on the server prevented the request from succeeding", new JsonObject());

    public static ApiException Internal(string message) => new(500, "InternalError", message, new JsonObject());

    /// <summary>
    /// A mutating webhook said no: its status's code (at least 400), reason and details, and its message after
    /// <c>admission webhook "NAME" denied the request</c>.
    /// </summary>
    public static ApiException WebhookDenied(string webhook, JsonObject? status)
    {
        var deniedBy = $"admission webhook \"{webhook}\" denied the request";
        var code = status?["code"].Integer() is >= 400 and var given ? (int)given : 400;
        var message = status.Str("message") is { Length: > 0 } why ? $"{deniedBy}: {why}"
            : status.Str("reason") is { Length: > 0 } reason ? $"{deniedBy}: {reason}"
            : $"{deniedBy} without explanation";
        return new ApiException(code, status.Str("reason"), message, status?["details"]?.DeepClone() as JsonObject);
    }

    /// <summary>The metav1.Status body the real server sends for this error.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
        };

        // Only a webhook's denial may have none.
        if (Reason.Length > 0)
        {
            status["reason"] = Reason;
        }

        if (Details is not null)
        {
            status["details"] = Details.DeepClone();
        }

        status["code"] = Code;
        return status;
    }

    private static string Qualified(string resource, string group) => group.Length == 0 ? resource : $"{resource}.{group}";

    private static JsonObject Detail(string name, string group, string kind)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        return details;
    }
}
