using static K8sWsProxy.KubeEmulator.Tests.Infrastructure.TestEmulator;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>
/// A client nobody here wrote, the official Python client (Debian's python3-kubernetes), meets the answers a real
/// API server gives: the objects a lenient server accepted are refused, watch=True is a watch, and a service account
/// without a binding is forbidden.
/// </summary>
public sealed class PythonClientTests
{
    [Fact]
    public async Task The_official_Python_client_is_refused_and_served_as_by_a_real_server()
    {
        await using var kube = await StartAsync();
        using var python = ChildProcess.StartPeer("/usr/bin/python3", "py_kube_client.py", kube.Emulator.KubeconfigPath);
        Assert.True(await python.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, python.Stderr);

        var results = JsonNode.Parse(python.Stdout.Trim().Split('\n')[^1])!.AsObject();
        Assert.Equal(422, results["pod_without_containers"]!.GetValue<int>());
        Assert.Equal(422, results["tls_secret_without_keys"]!.GetValue<int>());
        Assert.Equal(422, results["immutable_secret_changed"]!.GetValue<int>());
        Assert.Equal(422, results["lease_negative_duration"]!.GetValue<int>());
        Assert.Equal(400, results["custom_resource_wrong_version"]!.GetValue<int>());
        // Bookmarks come every 200 ms here: allowWatchBookmarks=True was read as true too.
        Assert.Equal(["ADDED", "BOOKMARK"], results["watch_true_events"]!.AsArray().Select(e => e!.ToString()));
        Assert.Equal(403, results["service_account_lists_secrets"]!.GetValue<int>());
    }
}
