namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The admin port as probes and scrapers use it: GET only, one answer per connection.</summary>
public sealed class AdminTests
{
    [Fact]
    public async Task Probes_scrapes_and_wrong_requests_get_plain_answers()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var sidecar = await TestSidecar.StartAsync($$$"""
            routes:
              - {name: echo, match: {path: /}, upstream: {endpoints: [{url: "{{{upstream.WsUrl()}}}"}]}}
            """);
        using var http = new HttpClient { BaseAddress = sidecar.Host.AdminUrl, Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.StartsWith("ready sha256:", await http.GetStringAsync("/readyz"), StringComparison.Ordinal);
        // The same client again and again: each answer closes its connection, the client opens the next.
        for (var i = 0; i < 3; i++)
        {
            using var metrics = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.StartsWith("text/plain; version=0.0.4", metrics.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
            Assert.Contains("wsproxy_config_revision_info", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nowhere")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/healthz", null)).StatusCode);
        Assert.Equal(400, (await RawHandshake.SendHeadAsync(sidecar.Host.AdminUrl, "GET /healthz HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n")).Status);
    }
}
