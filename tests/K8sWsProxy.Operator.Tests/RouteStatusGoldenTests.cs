using System.Text.Json;

namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// The status of every route of each compiler case (Golden/NAME.input.yaml) once every sidecar serves its document,
/// in Golden/NAME.status.json (UPDATE_GOLDEN=1 rewrites it); and, in every case, that a change of one route leaves
/// every other route's status exactly as it was, while the sidecars take the change and after.
/// </summary>
public sealed class RouteStatusGoldenTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string> Cases() => CompilerGoldenTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_sidecar_serving_its_document_gives_the_golden_status(string name)
    {
        var snapshot = Snapshot(name);
        var result = ConfigCompiler.Compile(snapshot);
        var statuses = new SortedDictionary<string, WebSocketRouteStatus>(Statuses(snapshot.Routes, result, Serving(result), previous: null), StringComparer.Ordinal);
        var actual = JsonSerializer.Serialize(statuses, CompilerGoldenTests.Output) + "\n";
        GoldenFile.AssertEqual(name + ".status.json", actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_change_of_one_route_changes_no_other_route_status(string name)
    {
        var snapshot = Snapshot(name);
        var routes = snapshot.Routes;
        var before = ConfigCompiler.Compile(snapshot);
        var served = Serving(before);
        var settled = Statuses(routes, before, served, previous: null);
        foreach (var edited in routes)
        {
            var changed = routes.Select(r => r == edited ? Edit(r) : r).ToList();
            var after = ConfigCompiler.Compile(snapshot with { Routes = changed });

            // While no sidecar has the new documents, and once every one serves them.
            foreach (var answers in new[] { served, Serving(after) })
            {
                var now = Statuses(changed, after, answers, settled, T0.AddMinutes(5));
                foreach (var other in routes.Where(r => r != edited))
                {
                    Assert.True(settled[other.Key].Equals(now[other.Key]), $"{other.Key} changed when {edited.Key} did: {JsonSerializer.Serialize(now[other.Key], CompilerGoldenTests.Output)}");
                }
            }
        }
    }

    private static Dictionary<string, WebSocketRouteStatus> Statuses(
        IEnumerable<WebSocketRoute> routes, CompilationResult result, Dictionary<string, SidecarReport> answers, Dictionary<string, WebSocketRouteStatus>? previous, DateTime? now = null) =>
        routes.ToDictionary(
            r => r.Key,
            r => RouteStatusCalculator.Compute(r, result.Verdicts.Single(v => v.Key == r.Key), answers, previous?.GetValueOrDefault(r.Key), now ?? T0),
            StringComparer.Ordinal);

    private static Dictionary<string, SidecarReport> Serving(CompilationResult result) =>
        result.Documents.ToDictionary(d => d.Pod.Key, d => new SidecarReport(d.Routes), StringComparer.Ordinal);

    /// <summary>A new generation that allows one more Origin: new content for the route, the same match.</summary>
    private static WebSocketRoute Edit(WebSocketRoute route) => new()
    {
        ApiVersion = route.ApiVersion,
        Kind = route.Kind,
        Metadata = new V1ObjectMeta
        {
            Name = route.Metadata.Name,
            NamespaceProperty = route.Metadata.NamespaceProperty,
            Uid = route.Metadata.Uid,
            CreationTimestamp = route.Metadata.CreationTimestamp,
            Generation = (route.Metadata.Generation ?? 1) + 1,
        },
        Spec = route.Spec with { WebSocket = route.Spec.WebSocket with { AllowedOrigins = [.. route.Spec.WebSocket.AllowedOrigins, "https://edited.example.com"] } },
    };

    private static RouteSnapshot Snapshot(string name) =>
        CompilerGoldenTests.Snapshot(File.ReadAllText(Path.Combine(RepoPaths.Golden, name + ".input.yaml")));
}
