using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// apimachinery's ObjectMeta validation: names (DNS-1123 subdomains, labels for namespaces), label keys and
/// values, annotation keys; and generateName suffixes.
/// </summary>
internal static partial class ObjectMetaRules
{
    // k8s.io/apiserver/pkg/storage/names: vowels and look-alike digits left out so names never spell words.
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private const string SubdomainHelp =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelNameHelp =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    private const string QualifiedNameHelp =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string LabelValueHelp =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    public static string Generate(string prefix) =>
        prefix + new string(Enumerable.Range(0, 5).Select(_ => SuffixAlphabet[RandomNumberGenerator.GetInt32(SuffixAlphabet.Length)]).ToArray());

    /// <summary>Every problem with the object's name, labels and annotation keys; namespaces must be DNS labels.</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject obj, bool nameIsLabel)
    {
        var errors = new List<FieldError>();
        var name = obj.Name();
        if (nameIsLabel ? name.Length > 63 || !DnsLabel().IsMatch(name) : name.Length > 253 || !Subdomain().IsMatch(name))
        {
            errors.Add(FieldError.Invalid("metadata.name", name, nameIsLabel ? LabelNameHelp : SubdomainHelp));
        }

        errors.AddRange(LabelsAndAnnotations(obj["metadata"] as JsonObject, "metadata"));
        return errors;
    }

    /// <summary>The label and annotation problems of any ObjectMeta: an object's, or a pod template's at <paramref name="path"/>.</summary>
    public static IReadOnlyList<FieldError> LabelsAndAnnotations(JsonObject? metadata, string path)
    {
        var errors = new List<FieldError>();
        foreach (var (key, value) in metadata?["labels"] as JsonObject ?? [])
        {
            var text = value?.ToString() ?? "";
            CheckQualifiedName(path + ".labels", key, errors);
            if (text.Length > 63 || !LabelValue().IsMatch(text))
            {
                errors.Add(FieldError.Invalid(path + ".labels", text, text.Length > 63 ? "must be no more than 63 characters" : LabelValueHelp));
            }
        }

        foreach (var (key, _) in metadata?["annotations"] as JsonObject ?? [])
        {
            CheckQualifiedName(path + ".annotations", key, errors);
        }

        return errors;
    }

    /// <summary>Whether <paramref name="key"/> is a valid label or annotation key (a label selector's keys too).</summary>
    public static bool IsQualifiedName(string key)
    {
        var errors = new List<FieldError>();
        CheckQualifiedName("", key, errors);
        return errors.Count == 0;
    }

    private static void CheckQualifiedName(string field, string key, List<FieldError> errors)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (prefix, name) = slash < 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
        if (slash >= 0 && (prefix.Length > 253 || !Subdomain().IsMatch(prefix)))
        {
            errors.Add(FieldError.Invalid(field, key, "prefix part " + SubdomainHelp));
        }

        if (name.Length is 0 or > 63 || !QualifiedName().IsMatch(name))
        {
            errors.Add(FieldError.Invalid(field, key, name.Length > 63 ? "name part must be no more than 63 characters" : QualifiedNameHelp));
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();
}
