using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;

namespace K8sWsProxy.KubeEmulator.Validation;

/// <summary>
/// The apiserver's Event validation (pkg/apis/core/validation/events.go), checked on the form the client sent:
/// a core/v1 Event must name an object in its own namespace, and an Event with an eventTime (always, through
/// events.k8s.io/v1) must say who reported it, what it did and why.
/// </summary>
internal static class EventValidation
{
    public static IReadOnlyList<FieldError> Validate(ResourceKind kind, JsonObject served, string ns)
    {
        var errors = new List<FieldError>();
        var eventsV1 = kind.View is EventsV1View;
        var regarding = (served[eventsV1 ? "regarding" : "involvedObject"] as JsonObject).Str("namespace");
        var regardingField = eventsV1 ? "regarding.namespace" : "involvedObject.namespace";
        var hasEventTime = served["eventTime"] is not null;
        if (!hasEventTime && !eventsV1)
        {
            var matches = regarding.Length == 0 ? ns is "" or "default" : ns == regarding;
            if (!matches)
            {
                errors.Add(FieldError.Invalid(regardingField, regarding, "does not match event.namespace"));
            }

            return errors;
        }

        if (regarding.Length == 0 && ns is not ("default" or "kube-system"))
        {
            errors.Add(FieldError.Invalid(regardingField, regarding, "does not match event.namespace"));
        }

        if (!hasEventTime)
        {
            errors.Add(FieldError.Required("eventTime"));
        }

        foreach (var field in new[] { eventsV1 ? "reportingController" : "reportingComponent", "reportingInstance", "action", "reason" })
        {
            if (served.Str(field).Length == 0)
            {
                errors.Add(FieldError.Required(field));
            }
        }

        var type = served.Str("type");
        if (eventsV1 && type is not ("Normal" or "Warning"))
        {
            errors.Add(FieldError.Invalid("type", type, "has invalid value: " + type));
        }

        return errors;
    }
}
