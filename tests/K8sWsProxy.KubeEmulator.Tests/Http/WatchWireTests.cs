using System.Globalization;

namespace K8sWsProxy.KubeEmulator.Tests.Http;

/// <summary>The watch stream on the wire: what every client library parses, line by line.</summary>
public sealed class WatchWireTests
{
    private static async Task<(HttpResponseMessage Response, StreamReader Lines)> OpenAsync(TestEmulator kube, string query)
    {
        var response = await kube.Http.GetAsync("api/v1/namespaces/default/configmaps?" + query, HttpCompletionOption.ResponseHeadersRead);
        return (response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static async Task<JsonNode> NextAsync(StreamReader lines)
    {
        var line = await lines.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(line);
        Assert.DoesNotContain('\n', line);
        return JsonNode.Parse(line)!;
    }

    [Fact]
    public async Task Headers_arrive_before_any_event_and_each_event_is_one_line()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var from = kube.Emulator.ResourceVersion.ToString(CultureInfo.InvariantCulture);

        // Nothing to send yet: the headers must still come at once.
        var (response, lines) = await OpenAsync(kube, $"watch=true&resourceVersion={from}").WaitAsync(TimeSpan.FromSeconds(10));
        using (response)
        using (lines)
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            Assert.True(response.Headers.TransferEncodingChunked);

            await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
            var added = await NextAsync(lines);
            Assert.Equal(("ADDED", "ConfigMap", "v1", "c"), (added["type"]!.ToString(), added["object"]!["kind"]!.ToString(), added["object"]!["apiVersion"]!.ToString(), added["object"]!["metadata"]!["name"]!.ToString()));
        }
    }

    [Fact]
    public async Task SendInitialEvents_ends_the_initial_list_with_a_marked_bookmark()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "default");

        var (response, lines) = await OpenAsync(kube, "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
        using (response)
        using (lines)
        {
            Assert.Equal("a", (await NextAsync(lines))["object"]!["metadata"]!["name"]!.ToString());
            Assert.Equal("b", (await NextAsync(lines))["object"]!["metadata"]!["name"]!.ToString());
            var bookmark = await NextAsync(lines);
            Assert.Equal("BOOKMARK", bookmark["type"]!.ToString());
            Assert.Equal("true", bookmark["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.ToString());
            Assert.Equal(kube.Emulator.ResourceVersion.ToString(CultureInfo.InvariantCulture), bookmark["object"]!["metadata"]!["resourceVersion"]!.ToString());
        }
    }

    [Fact]
    public async Task A_too_old_resourceVersion_is_a_200_with_one_410_ERROR_event_then_the_end()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        kube.Emulator.CompactHistory();

        var (response, lines) = await OpenAsync(kube, "watch=true&resourceVersion=1");
        using (response)
        using (lines)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            var error = await NextAsync(lines);
            Assert.Equal("ERROR", error["type"]!.ToString());
            Assert.Equal(("Status", 410, "Expired"), (error["object"]!["kind"]!.ToString(), error["object"]!["code"]!.GetValue<int>(), error["object"]!["reason"]!.ToString()));
            Assert.Null(await lines.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }
}
