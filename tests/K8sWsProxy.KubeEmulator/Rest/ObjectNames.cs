using System.Security.Cryptography;
using System.Text.RegularExpressions;
using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>Object name rules: generateName suffixes and the DNS-1123 checks the real server applies.</summary>
internal static partial class ObjectNames
{
    // k8s.io/apiserver/pkg/storage/names: vowels and look-alike digits left out so names never spell words.
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Generate(string prefix) =>
        prefix + new string(Enumerable.Range(0, 5).Select(_ => SuffixAlphabet[RandomNumberGenerator.GetInt32(SuffixAlphabet.Length)]).ToArray());

    /// <summary>Namespaces must be DNS labels; everything else DNS subdomains.</summary>
    public static FieldError? Validate(string name, bool label)
    {
        if (label)
        {
            return name.Length <= 63 && Label().IsMatch(name) ? null : FieldError.Invalid("metadata.name", name,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
        }

        return name.Length <= 253 && Subdomain().IsMatch(name) ? null : FieldError.Invalid("metadata.name", name,
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
