using System.Runtime.CompilerServices;

namespace K8sWsProxy.Operator.Tests;

/// <summary>Source paths: golden files are rewritten beside these tests' sources, and the CRD and examples are read from the checkout.</summary>
internal static class RepoPaths
{
    public static string TestsDirectory { get; } = Here();

    public static string Root => K8sWsProxy.Testing.RepositoryPaths.Root;

    public static string Golden => Path.Combine(TestsDirectory, "Golden");

    public static string Crd => Path.Combine(Root, "crds", "websocketroutes.k8swsproxy.io.yaml");

    public static string Examples => Path.Combine(Root, "examples");

    private static string Here([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
