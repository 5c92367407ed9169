using System.Text;

namespace K8sWsProxy.KubeEmulator.Tests.Http;

/// <summary>Malformed or impossible requests get the real server's Status body and code: never a 500, never a hang.</summary>
public sealed class BadRequestTests : IAsyncLifetime
{
    private const string Routes = "apis/k8swsproxy.io/v1alpha1/namespaces/default/websocketroutes";
    private const string ValidRoute = """{"metadata":{"name":"r1"},"spec":{"match":{"path":"/ws"},"upstream":{"endpoints":[{"url":"ws://x"}]}}}""";

    private TestEmulator _kube = null!;

    public async Task InitializeAsync()
    {
        _kube = await TestEmulator.StartAsync();
        using var created = await SendAsync("POST", Routes, "application/json", ValidRoute);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    public async Task DisposeAsync() => await _kube.DisposeAsync();

    [Theory]
    [InlineData("POST", Routes, "application/json", "{not json", 400, "BadRequest")]
    [InlineData("POST", Routes, "application/json", "", 400, "BadRequest")]
    [InlineData("POST", Routes, "application/json", """{"kind":"Pod","metadata":{"name":"x"}}""", 400, "BadRequest")]
    [InlineData("POST", Routes, "application/json", """{"metadata":{"name":"x","namespace":"other"},"spec":{}}""", 400, "BadRequest")]
    [InlineData("POST", Routes, "application/json", """{"metadata":{"name":"Not_A_Name"},"spec":{"match":{"path":"/"},"upstream":{}}}""", 422, "Invalid")]
    [InlineData("POST", Routes, "application/json", """{"metadata":{},"spec":{}}""", 422, "Invalid")]
    [InlineData("POST", "api/v1/namespaces/default/configmaps", "application/json", """{"metadata":{"name":"c","labels":{"app":"not valid"}}}""", 422, "Invalid")]
    [InlineData("POST", "api/v1/namespaces/default/configmaps", "application/json", """{"metadata":{"name":"c","annotations":{"-bad/key":"x"}}}""", 422, "Invalid")]
    [InlineData("POST", "api/v1/namespaces", "application/json", """{"metadata":{"name":"has.dot"}}""", 422, "Invalid")]
    [InlineData("PATCH", Routes + "/r1", "application/merge-patch+json", """{"metadata":{"labels":{"x":"-dash"}}}""", 422, "Invalid")]
    [InlineData("POST", "api/v1/namespaces/default/events", "application/json", """{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p","namespace":"elsewhere"},"reason":"R"}""", 422, "Invalid")]
    [InlineData("POST", "apis/events.k8s.io/v1/namespaces/default/events", "application/json", """{"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z","regarding":{"kind":"Pod","name":"p","namespace":"default"},"reason":"R","type":"Normal"}""", 422, "Invalid")]
    [InlineData("POST", Routes, "application/json", ValidRoute, 409, "AlreadyExists")]
    [InlineData("POST", Routes, "application/vnd.kubernetes.protobuf", "\u0001\u0002", 415, "UnsupportedMediaType")]
    [InlineData("POST", "apis/k8swsproxy.io/v1alpha1/namespaces/nowhere/websocketroutes", "application/json", ValidRoute, 404, "NotFound")]
    [InlineData("PUT", Routes + "/r1", "application/json", """{"metadata":{"name":"r2","resourceVersion":"1"}}""", 400, "BadRequest")]
    [InlineData("PUT", Routes + "/missing", "application/json", """{"metadata":{"name":"missing","resourceVersion":"1"}}""", 404, "NotFound")]
    [InlineData("PUT", Routes, "application/json", ValidRoute, 405, "MethodNotAllowed")]
    [InlineData("PATCH", Routes + "/r1", "application/strategic-merge-patch+json", "{}", 415, "UnsupportedMediaType")]
    [InlineData("PATCH", Routes + "/r1", "application/apply-patch+yaml", "{}", 400, "BadRequest")]
    [InlineData("PATCH", Routes + "/r1?fieldManager=me", "application/apply-patch+yaml", "metadata: {name: r1}", 400, "BadRequest")]
    [InlineData("POST", "api/v1/namespaces/default/secrets", "application/vnd.kubernetes.protobuf", "\u0001\u0002", 400, "BadRequest")]
    [InlineData("POST", Routes, "application/json", """{"apiVersion":"k8swsproxy.io/v9","kind":"WebSocketRoute","metadata":{"name":"v9"},"spec":{}}""", 400, "BadRequest")]
    [InlineData("POST", "api/v1/namespaces/default/pods", "application/json", """{"metadata":{"name":"empty"},"spec":{"containers":[]}}""", 422, "Invalid")]
    [InlineData("POST", "api/v1/namespaces/default/secrets", "application/json", """{"metadata":{"name":"t"},"type":"kubernetes.io/tls","data":{}}""", 422, "Invalid")]
    [InlineData("POST", "apis/coordination.k8s.io/v1/namespaces/default/leases", "application/json", """{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":-1}}""", 422, "Invalid")]
    [InlineData("POST", "apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", "application/json", """{"metadata":{"name":"d"},"spec":{"replica":1}}""", 400, "BadRequest")]
    [InlineData("POST", "apis/apps/v1/namespaces/default/deployments", "application/json", """{"metadata":{"name":"d"},"spec":{"replicas":"two"}}""", 422, "Invalid")]
    [InlineData("PATCH", Routes + "/r1", "application/json-patch+json", """{"op":"add"}""", 400, "BadRequest")]
    [InlineData("PATCH", Routes + "/r1", "application/json-patch+json", """[{"op":"remove","path":"/spec/nothing"}]""", 422, "Invalid")]
    [InlineData("PATCH", Routes + "/missing", "application/merge-patch+json", "{}", 404, "NotFound")]
    [InlineData("DELETE", Routes + "/missing", null, null, 404, "NotFound")]
    [InlineData("GET", Routes + "/missing", null, null, 404, "NotFound")]
    [InlineData("GET", Routes + "/r1/scale", null, null, 404, "NotFound")]
    [InlineData("GET", "apis/k8swsproxy.io/v1alpha1/namespaces/default/nothings", null, null, 404, "NotFound")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?labelSelector=a%20in%20(b", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?labelSelector=-app%3Dx", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?labelSelector=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%3Dx", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?fieldSelector=data.key%3Dx", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?limit=-1", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?continue=garbage", null, null, 400, "BadRequest")]
    [InlineData("GET", "api/v1/namespaces/default/secrets?watch=true&resourceVersion=abc", null, null, 400, "BadRequest")]
    [InlineData("POST", "api/v1/namespaces/default/pods?fieldValidation=Sometimes", "application/json", """{"metadata":{"name":"p"}}""", 400, "BadRequest")]
    [InlineData("POST", "api/v1/namespaces/default/pods?dryRun=Some", "application/json", """{"metadata":{"name":"p"}}""", 400, "BadRequest")]
    public async Task Answers_with_a_Status(string method, string path, string? contentType, string? body, int code, string reason)
    {
        using var response = await SendAsync(method, path, contentType, body);
        Assert.Equal(code, (int)response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("Status", "v1", "Failure", reason, code), (status["kind"]!.ToString(), status["apiVersion"]!.ToString(), status["status"]!.ToString(), status["reason"]!.ToString(), status["code"]!.GetValue<int>()));
        Assert.False(string.IsNullOrEmpty(status["message"]?.ToString()));
    }

    [Fact]
    public async Task Not_found_messages_name_the_resource_like_the_real_server()
    {
        using var response = await SendAsync("GET", Routes + "/missing", null, null);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("websocketroutes.k8swsproxy.io \"missing\" not found", status["message"]!.ToString());
        Assert.Equal("""{"name":"missing","group":"k8swsproxy.io","kind":"websocketroutes"}""", status["details"]!.ToJsonString());
    }

    [Theory]
    [InlineData(500, "InternalError")]
    [InlineData(429, "TooManyRequests")]
    public async Task Injected_faults_fail_exactly_the_next_requests(int code, string reason)
    {
        _kube.Emulator.FailNextRequests(2, code);
        for (var i = 0; i < 2; i++)
        {
            using var failed = await SendAsync("GET", Routes + "/r1", null, null);
            Assert.Equal(code, (int)failed.StatusCode);
            Assert.Equal(reason, JsonNode.Parse(await failed.Content.ReadAsStringAsync())!["reason"]!.ToString());
            Assert.Equal(code == 429, failed.Headers.RetryAfter is not null);
        }

        using var ok = await SendAsync("GET", Routes + "/r1", null, null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Dry_run_answers_without_storing()
    {
        using var dry = await SendAsync("POST", "api/v1/namespaces/default/configmaps?dryRun=All", "application/json", """{"metadata":{"name":"c"}}""");
        Assert.Equal(HttpStatusCode.Created, dry.StatusCode);
        using var get = await SendAsync("GET", "api/v1/namespaces/default/configmaps/c", null, null);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? contentType, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (contentType is not null)
        {
            request.Content = new StringContent(body ?? "", Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        return await _kube.Http.SendAsync(request);
    }
}
