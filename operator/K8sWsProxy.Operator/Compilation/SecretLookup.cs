using System.Text;
using k8s.Models;

namespace K8sWsProxy.Operator.Compilation;

/// <summary>Finds the Secrets a route names and reads PEM entries out of them, recording what is missing.</summary>
internal sealed class SecretLookup(IEnumerable<V1Secret> secrets)
{
    private readonly Dictionary<string, V1Secret> _byKey = secrets
        .GroupBy(s => $"{s.Metadata.NamespaceProperty ?? "default"}/{s.Metadata.Name}", StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>The PEM text of each of <paramref name="keys"/>, or null (with a problem recorded) when it cannot be had.</summary>
    public string?[] Read(string ns, string secretName, string field, List<RouteProblem> problems, params string[] keys)
    {
        var values = new string?[keys.Length];
        if (!_byKey.TryGetValue($"{ns}/{secretName}", out var secret))
        {
            problems.Add(new(RouteReasons.SecretNotFound, field, $"Secret {ns}/{secretName} not found"));
            return values;
        }

        for (var i = 0; i < keys.Length; i++)
        {
            if (secret.Data?.TryGetValue(keys[i], out var bytes) is true && bytes is { Length: > 0 })
            {
                values[i] = Encoding.UTF8.GetString(bytes);
            }
            else
            {
                problems.Add(new(RouteReasons.InvalidCertificate, field, $"Secret {ns}/{secretName} has no {keys[i]}"));
            }
        }

        return values;
    }
}

