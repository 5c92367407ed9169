using k8s.Models;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>metav1.LabelSelector semantics: every matchLabels pair and every matchExpressions requirement must hold.</summary>
public static class LabelSelectors
{
    /// <summary>Problems that make the selector unusable; empty when it is fine.</summary>
    public static IReadOnlyList<ConfigError> Validate(V1LabelSelector? selector, string path)
    {
        var errors = new List<ConfigError>();
        var expressions = selector?.MatchExpressions ?? [];
        for (var i = 0; i < expressions.Count; i++)
        {
            var e = expressions[i];
            var at = $"{path}.matchExpressions[{i}]";
            switch (e.OperatorProperty)
            {
                case "In" or "NotIn" when e.Values is not { Count: > 0 }:
                    errors.Add(new($"{at}.values", $"must not be empty for operator {e.OperatorProperty}"));
                    break;
                case "Exists" or "DoesNotExist" when e.Values is { Count: > 0 }:
                    errors.Add(new($"{at}.values", $"must be empty for operator {e.OperatorProperty}"));
                    break;
                case "In" or "NotIn" or "Exists" or "DoesNotExist":
                    break;
                default:
                    errors.Add(new($"{at}.operator", "must be In, NotIn, Exists or DoesNotExist"));
                    break;
            }
        }

        return errors;
    }

    /// <summary>A null or empty selector matches everything; an unknown operator matches nothing.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector?.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var e in selector?.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var actual);
            var holds = e.OperatorProperty switch
            {
                "In" => has && e.Values.Contains(actual!),
                "NotIn" => !has || !e.Values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }
}
