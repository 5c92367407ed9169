namespace K8sWsProxy.Operator.Tests;

/// <summary>
/// A golden file beside these tests' sources (Golden/NAME): the test's output must equal it. UPDATE_GOLDEN=1 rewrites
/// it instead; the diff is then the review of the change.
/// </summary>
internal static class GoldenFile
{
    public static void AssertEqual(string name, string actual)
    {
        var golden = Path.Combine(RepoPaths.Golden, name);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, actual);
        }

        Assert.True(File.Exists(golden), $"{golden} is missing: run the tests with UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(golden), actual);
    }
}
