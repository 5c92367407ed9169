using System.Text.Json;

namespace K8sWsProxy.KubeEmulator.Tests.Infrastructure;

/// <summary>Starts an emulator with the sample WebSocketRoute CRD loaded, plus a KubernetesClient pointed at it.</summary>
internal sealed class TestEmulator : IAsyncDisposable
{
    public const string RouteGroup = "k8swsproxy.io";
    public const string RouteVersion = "v1alpha1";
    public const string RoutePlural = "websocketroutes";

    private TestEmulator(KubeApiEmulator emulator)
    {
        Emulator = emulator;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(emulator.KubeconfigPath));
        Http = new HttpClient { BaseAddress = emulator.Url, Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Authorization = new("Bearer", K8sWsProxy.KubeEmulator.Auth.TokenAuthority.AdminToken);
    }

    public KubeApiEmulator Emulator { get; }

    public Kubernetes Client { get; }

    /// <summary>A raw client, for the requests and answers the typed client hides.</summary>
    public HttpClient Http { get; }

    public static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "testdata", file);

    public static async Task<TestEmulator> StartAsync(Action<KubeEmulatorOptions>? configure = null, bool withCrd = true)
    {
        var options = new KubeEmulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) };
        if (withCrd)
        {
            options.Preload.Add(TestData("websocketroute-crd.yaml"));
        }

        configure?.Invoke(options);
        return new TestEmulator(await KubeApiEmulator.StartAsync(options));
    }

    public static JsonObject Route(string name, string path = "/ws", IDictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        return new JsonObject
        {
            ["apiVersion"] = $"{RouteGroup}/{RouteVersion}",
            ["kind"] = "WebSocketRoute",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["match"] = new JsonObject { ["path"] = path },
                ["upstream"] = new JsonObject { ["endpoints"] = new JsonArray(new JsonObject { ["url"] = "ws://127.0.0.1:8080/socket" }) },
            },
        };
    }

    public async Task<JsonObject> CreateRouteAsync(JsonObject route, string ns = "default") =>
        ToNode(await Client.CustomObjects.CreateNamespacedCustomObjectAsync(route, RouteGroup, RouteVersion, ns, RoutePlural));

    public async Task<JsonObject> GetRouteAsync(string name, string ns = "default") =>
        ToNode(await Client.CustomObjects.GetNamespacedCustomObjectAsync(RouteGroup, RouteVersion, ns, RoutePlural, name));

    public static JsonObject ToNode(object result) => JsonSerializer.SerializeToNode(result)!.AsObject();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}
