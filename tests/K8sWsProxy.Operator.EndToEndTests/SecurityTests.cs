using System.Text;
using k8s;
using k8s.Models;
using K8sWsProxy.Contracts.Channel;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>The config channel gives nothing to an unauthenticated caller and to each pod only what selects it.</summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class SecurityTests(ProxyCluster cluster) : ClusterTest(cluster)
{
    private static void TrustAny(ClientWebSocketOptions options) => options.RemoteCertificateValidationCallback = (_, _, _, _) => true;

    private static Action<ClientWebSocketOptions> WithToken(string token) => options =>
    {
        TrustAny(options);
        options.SetRequestHeader("Authorization", "Bearer " + token);
    };

    [Fact]
    public async Task A_caller_without_a_valid_token_for_the_audience_of_a_sidecar_pod_is_refused()
    {
        var url = Cluster.ChannelUrl;
        Assert.Equal(HttpStatusCode.Unauthorized, await Ws.RefusedStatusAsync(url, TrustAny));
        Assert.Equal(HttpStatusCode.Unauthorized, await Ws.RefusedStatusAsync(url, WithToken("not-a-token")));

        var pod = await Cluster.Client.CoreV1.ReadNamespacedPodAsync(Cluster.Sidecars[0].PodName, ProxyCluster.Namespace);
        Assert.Equal(HttpStatusCode.Unauthorized, await Ws.RefusedStatusAsync(url, WithToken(await Cluster.TokenAsync(pod, "kubernetes"))));

        // A real pod with a real token, but no sidecar: it has no business on the channel.
        var token = await Cluster.CreateSidecarPodAsync("no-sidecar", IPAddress.Parse("127.0.0.9"), sidecar: false);
        try
        {
            Assert.Equal(HttpStatusCode.Forbidden, await Ws.RefusedStatusAsync(url, WithToken(token)));
        }
        finally
        {
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("no-sidecar", ProxyCluster.Namespace);
        }
    }

    [Fact]
    public async Task A_flood_of_garbage_tokens_costs_a_bounded_number_of_reviews_and_log_lines()
    {
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var channel = new Uri(Cluster.ChannelUrl.AbsoluteUri.Replace("wss://", "https://", StringComparison.Ordinal));
        var refusalsBefore = Refusals();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (n, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, channel);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", $"garbage-{n}-{Guid.NewGuid():N}");
            using var response = await http.SendAsync(request, ct);
            statuses.Add(response.StatusCode);
        });
        var seconds = clock.Elapsed.TotalSeconds;

        // Every one refused; a TokenReview for each 401 (all tokens differ), at most the budget's burst plus its rate.
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        var reviewed = statuses.Count(s => s == HttpStatusCode.Unauthorized);
        Assert.True(reviewed <= 200 + (100 * (seconds + 1)), $"{reviewed} reviews in {seconds:F1} s");
        var logged = Refusals() - refusalsBefore;
        Assert.True(logged <= 10 * ((int)(seconds / 10) + 2), $"{logged} refusal lines in {seconds:F1} s");

        // The budget comes back: a bad token is reviewed (401) again, and the sidecars are on the channel as before.
        await Poll.UntilAsync(async () => await Ws.RefusedStatusAsync(Cluster.ChannelUrl, WithToken("garbage-after")) == HttpStatusCode.Unauthorized, "a review again", TimeSpan.FromSeconds(10));
        await Cluster.ApplyAsync(Cluster.ExampleRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
    }

    private int Refusals() => Cluster.Operators.Sum(o => o.AllOutput.Split("Config channel refused").Length - 1);

    [Fact]
    public async Task A_sidecar_pod_that_no_route_selects_never_receives_the_routes_Secrets()
    {
        var token = await Cluster.CreateSidecarPodAsync("lonely", IPAddress.Parse("127.0.0.8"));
        await Cluster.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"lonely"}}}""", V1Patch.PatchType.MergePatch), "lonely", ProxyCluster.Namespace);
        try
        {
            using var channel = await Ws.ConnectAsync(Cluster.ChannelUrl, WithToken(token));
            var received = new StringBuilder(await channel.ReceiveTextAsync());
            Assert.Contains("\"routes\":[]", received.ToString(), StringComparison.Ordinal);

            await Cluster.ApplyAsync(Cluster.ExampleRoute());
            await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                var buffer = new byte[1 << 20];
                var result = await channel.ReceiveAsync(buffer, quiet.Token);
                received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            catch (OperationCanceledException)
            {
            }

            Assert.DoesNotContain("PRIVATE KEY", received.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("demo/chat", received.ToString(), StringComparison.Ordinal);

            // A selected pod's own channel does carry it: the check above is not vacuous.
            var chat0 = await File.ReadAllTextAsync(Cluster.Sidecars[0].TokenFile);
            using var selected = await Ws.ConnectAsync(Cluster.ChannelUrl, WithToken(chat0));
            var (_, data) = await selected.ReceiveMessageAsync();
            Assert.Contains("PRIVATE KEY", Encoding.UTF8.GetString(data), StringComparison.Ordinal);
            Assert.Equal(ChannelMessage.DocumentType, ChannelMessage.Parse(data, out _)!.Type);
        }
        finally
        {
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("lonely", ProxyCluster.Namespace);
        }
    }

    [Fact]
    public async Task A_sidecar_can_report_only_endpoints_of_its_own_routes_as_failing()
    {
        await Cluster.ApplyAsync(Cluster.ExampleRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        var token = await Cluster.CreateSidecarPodAsync("forger", IPAddress.Parse("127.0.0.11"));
        try
        {
            using var channel = await Ws.ConnectAsync(Cluster.ChannelUrl, WithToken(token));
            var (_, document) = await channel.ReceiveMessageAsync();
            var endpoint = ChannelMessage.Parse(document, out _)!.Document!.Routes.Single(r => r.Key == "demo/chat").Upstream.Endpoints[0].Url;

            // One true endpoint of its route among invented routes and endpoints: only the true one may come through.
            var forged = ChannelMessage.Health(new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["demo/chat"] = new Dictionary<string, string> { [endpoint] = "connection refused", ["ws://invented.example/x"] = "invented" },
                ["demo/not-mine"] = new Dictionary<string, string> { ["ws://other.example/"] = "invented" },
            });
            await channel.SendAsync(forged.ToUtf8(), WebSocketMessageType.Text, true, CancellationToken.None);

            var route = await Cluster.WaitForRouteAsync("chat", r => r.Status?.UpstreamFailures.Count > 0, "the reported failure in status");
            Assert.Equal([endpoint], route.Status!.UpstreamFailures.Select(f => f.Endpoint));
            Assert.Null(await Cluster.RouteAsync("not-mine"));
        }
        finally
        {
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("forger", ProxyCluster.Namespace);
        }
    }

    [Fact]
    public async Task A_token_whose_pod_was_deleted_is_refused()
    {
        var token = await Cluster.CreateSidecarPodAsync("deleted", IPAddress.Parse("127.0.0.10"));
        await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("deleted", ProxyCluster.Namespace);
        Assert.Equal(HttpStatusCode.Unauthorized, await Ws.RefusedStatusAsync(Cluster.ChannelUrl, WithToken(token)));
    }

    [Fact]
    public async Task A_stolen_token_cannot_knock_the_pods_sidecar_off_again_and_again()
    {
        var token = await Cluster.CreateSidecarPodAsync("stolen", IPAddress.Parse("127.0.0.6"));
        var sockets = new List<ClientWebSocket>();
        try
        {
            // The first connection, then as many replacements as the budget allows: each closes the one before.
            for (var i = 0; i <= 3; i++)
            {
                sockets.Add(await Ws.ConnectAsync(Cluster.ChannelUrl, WithToken(token)));
                await sockets[^1].ReceiveMessageAsync();
            }

            var (type, _) = await sockets[^2].ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Close, type);
            Assert.Equal("replaced by a newer connection of the same pod", sockets[^2].CloseStatusDescription);

            // One more is refused, and the connected session is kept.
            Assert.Equal(HttpStatusCode.TooManyRequests, await Ws.RefusedStatusAsync(Cluster.ChannelUrl, WithToken(token)));
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sockets[^1].ReceiveAsync(new byte[1024], quiet.Token));
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("stolen", ProxyCluster.Namespace);
        }
    }

    [Fact]
    public async Task A_pod_that_loses_the_sidecar_label_is_cut_off_the_channel_and_refused_on_reconnect()
    {
        var token = await Cluster.CreateSidecarPodAsync("unlabelled", IPAddress.Parse("127.0.0.7"));
        try
        {
            using var channel = await Ws.ConnectAsync(Cluster.ChannelUrl, WithToken(token));
            Assert.Equal(ChannelMessage.DocumentType, ChannelMessage.Parse(Encoding.UTF8.GetBytes(await channel.ReceiveTextAsync()), out _)!.Type);

            // A merge patch with null removes the label.
            var unlabel = System.Text.Json.JsonSerializer.Serialize(new { metadata = new { labels = new Dictionary<string, string?> { [ProxyCluster.SidecarLabel] = null } } });
            await Cluster.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch(unlabel, V1Patch.PatchType.MergePatch), "unlabelled", ProxyCluster.Namespace);

            Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "pod no longer selected as a sidecar"), await channel.ReceiveCloseAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(HttpStatusCode.Forbidden, await Ws.RefusedStatusAsync(Cluster.ChannelUrl, WithToken(token)));
        }
        finally
        {
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("unlabelled", ProxyCluster.Namespace);
        }
    }

    [Fact]
    public async Task No_key_or_token_appears_in_logs_metrics_events_status_annotations_or_config()
    {
        await Cluster.ApplyAsync(Cluster.ExampleRoute());
        await Cluster.WaitForRouteAsync("chat", r => ProxyCluster.IsReady(r, 3, 3), "3/3 Ready");
        Assert.Equal(HttpStatusCode.Unauthorized, await Ws.RefusedStatusAsync(Cluster.ChannelUrl, WithToken("secret-looking-token-value")));
        // A refused route and a failing upstream put text into status, events and annotations too.
        await Cluster.FailAnUpstreamOnEverySidecarAsync();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var collected = new Dictionary<string, string> { ["logs"] = Cluster.AllLogs() };
        foreach (var op in Cluster.Operators)
        {
            collected[$"{op.Identity} /metrics"] = await http.GetStringAsync(new Uri($"http://127.0.0.1:{op.HealthPort}/metrics"));
        }

        foreach (var sidecar in Cluster.Sidecars)
        {
            collected[$"{sidecar.PodName} /metrics"] = await http.GetStringAsync(new Uri($"http://{sidecar.Ip}:{sidecar.AdminPort}/metrics"));
            collected[$"{sidecar.PodName} /v1/config"] = (await sidecar.ConfigAsync()).GetRawText();
        }

        collected["events"] = KubernetesJson.Serialize(await Cluster.Client.CoreV1.ListNamespacedEventAsync(ProxyCluster.Namespace));
        collected["routes"] = KubernetesJson.Serialize(await Cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync(
            K8sWsProxy.Operator.Routes.WebSocketRoute.Group, K8sWsProxy.Operator.Routes.WebSocketRoute.Version, ProxyCluster.Namespace, K8sWsProxy.Operator.Routes.WebSocketRoute.Plural));
        collected["pod annotations"] = KubernetesJson.Serialize((await Cluster.Client.CoreV1.ListNamespacedPodAsync(ProxyCluster.Namespace)).Items.Select(p => p.Metadata.Annotations));
        Assert.All(collected.Values, Assert.NotEmpty);

        var secrets = new List<string> { "PRIVATE KEY", "secret-looking-token-value" };
        foreach (var sidecar in Cluster.Sidecars)
        {
            var token = (await File.ReadAllTextAsync(sidecar.TokenFile)).Trim();
            secrets.Add(token);
            secrets.Add(token.Split('.')[2]);
        }

        // The route's Secrets, as stored (base64) and as PEM lines.
        foreach (var secret in (await Cluster.Client.CoreV1.ListNamespacedSecretAsync(ProxyCluster.Namespace)).Items.Where(s => s.Data is not null))
        {
            foreach (var value in secret.Data.Values.Where(v => v.Length > 0))
            {
                secrets.Add(Convert.ToBase64String(value));
                secrets.AddRange(Encoding.UTF8.GetString(value).Split('\n').Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal) && !IsCertificateLine(secret, l)));
            }
        }

        var key = Encoding.UTF8.GetString((await Cluster.Client.CoreV1.ReadNamespacedSecretAsync("chat-tls", ProxyCluster.Namespace)).Data["tls.key"]);
        Assert.Contains(secrets, s => key.Contains(s, StringComparison.Ordinal) && !s.StartsWith("-----", StringComparison.Ordinal));
        foreach (var (where, text) in collected)
        {
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{where} holds a secret ({secret[..Math.Min(12, secret.Length)]}…)");
            }
        }
    }

    // A certificate is public: /v1/config may show what identifies it; the key lines are what must never appear.
    private static bool IsCertificateLine(V1Secret secret, string line) =>
        secret.Data.Where(d => d.Key.EndsWith(".crt", StringComparison.Ordinal)).Any(d => Encoding.UTF8.GetString(d.Value).Contains(line, StringComparison.Ordinal));
}
