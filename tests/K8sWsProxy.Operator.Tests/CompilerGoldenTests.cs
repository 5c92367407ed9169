using System.Text.Encodings.Web;
using System.Text.Json;
using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// Golden/NAME.input.yaml (routes, pods, Secrets) compiles to Golden/NAME.golden.json. Run with UPDATE_GOLDEN=1
/// to rewrite the golden files, then read the diff: it is the review of the change.
/// </summary>
public sealed class CompilerGoldenTests
{
    internal static readonly JsonSerializerOptions Output = new(ConfigJson.Options)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static TheoryData<string> Cases() =>
        [.. Directory.GetFiles(RepoPaths.Golden, "*.input.yaml").Select(f => Path.GetFileName(f)[..^".input.yaml".Length]).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compiles_to_the_golden_output(string name)
    {
        var snapshot = Snapshot(File.ReadAllText(Path.Combine(RepoPaths.Golden, name + ".input.yaml")));
        var result = ConfigCompiler.Compile(snapshot);
        var actual = JsonSerializer.Serialize(result, Output) + "\n";
        GoldenFile.AssertEqual(name + ".golden.json", actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_document_is_one_a_sidecar_accepts(string name)
    {
        var result = ConfigCompiler.Compile(Snapshot(File.ReadAllText(Path.Combine(RepoPaths.Golden, name + ".input.yaml"))));
        foreach (var document in result.Documents.Select(d => d.Document))
        {
            Assert.Empty(SidecarConfigValidator.Validate(document));
            Assert.Equal(RevisionHasher.Compute(document), document.Revision);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_order_of_the_input_does_not_matter(string name)
    {
        var snapshot = Snapshot(File.ReadAllText(Path.Combine(RepoPaths.Golden, name + ".input.yaml")));
        var reversed = new RouteSnapshot([.. snapshot.Routes.Reverse()], [.. snapshot.SidecarPods.Reverse()], [.. snapshot.Secrets.Reverse()]);
        Assert.Equal(
            JsonSerializer.Serialize(ConfigCompiler.Compile(snapshot), Output),
            JsonSerializer.Serialize(ConfigCompiler.Compile(reversed), Output));
    }

    internal static RouteSnapshot Snapshot(string yaml)
    {
        var objects = Manifests.Load(yaml);
        return new RouteSnapshot([.. objects.OfType<WebSocketRoute>()], [.. objects.OfType<V1Pod>()], [.. objects.OfType<V1Secret>()]);
    }
}
