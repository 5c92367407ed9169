using System.Text.Json.Serialization;
using K8sWsProxy.Sidecar.Runtime;

namespace K8sWsProxy.Sidecar.Admin;

/// <summary>What GET /v1/config shows: the active revision, each route, each certificate's subject and expiry.</summary>
internal sealed record ConfigSummary(string? Revision, IReadOnlyList<RouteSummary> Routes, IReadOnlyList<CertificateSummary> Certificates)
{
    public static ConfigSummary From(ActiveConfig config) => new(
        config.Revision,
        [.. config.Routes.Values.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new RouteSummary(
            r.Key,
            [.. r.Config.Match.Hosts],
            r.Config.Match.Path,
            r.Config.Match.PathType.ToString(),
            [.. r.Endpoints.Select(e => e.Config.Url)],
            r.Connections))],
        [.. config.Certificates.Entries.Select(c => new CertificateSummary(c.RouteKey, c.Certificate.Subject, c.Certificate.NotAfter.ToUniversalTime(), c.Certificate.Thumbprint))]);
}

internal sealed record RouteSummary(string Route, IReadOnlyList<string> Hosts, string Path, string PathType, IReadOnlyList<string> Endpoints, int Connections);

internal sealed record CertificateSummary(string Route, string Subject, DateTime NotAfter, string Thumbprint);

[JsonSerializable(typeof(ConfigSummary))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class AdminJson : JsonSerializerContext;
