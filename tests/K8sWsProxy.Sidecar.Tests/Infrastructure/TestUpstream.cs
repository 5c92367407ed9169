using System.Security.Cryptography.X509Certificates;
using K8sWsProxy.EchoServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>The echo server on a free loopback port, in the test process.</summary>
public sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestUpstream(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>ws:// or wss:// root of the server.</summary>
    public Uri Url { get; }

    public string WsUrl(string path = "/") => new Uri(Url, path).ToString();

    /// <summary>Close frames the server received from the proxy: (status, reason).</summary>
    public IReadOnlyCollection<(System.Net.WebSockets.WebSocketCloseStatus? Status, string? Reason)> Closes => _closes;

    private System.Collections.Concurrent.ConcurrentQueue<(System.Net.WebSockets.WebSocketCloseStatus?, string?)> _closes = new();

    public static async Task<TestUpstream> StartAsync(string name = "echo", IReadOnlyList<string>? subprotocols = null, X509Certificate2? certificate = null, X509Certificate2? clientCa = null, TimeSpan acceptDelay = default)
    {
        var closes = new System.Collections.Concurrent.ConcurrentQueue<(System.Net.WebSockets.WebSocketCloseStatus?, string?)>();
        var app = EchoServerApp.Build(new EchoServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Name = name,
            Subprotocols = subprotocols ?? [],
            Certificate = certificate,
            ClientCertificateAuthority = clientCa,
            AcceptDelay = acceptDelay,
            OnClose = (status, reason) => closes.Enqueue((status, reason)),
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var scheme = certificate is null ? "ws" : "wss";
        var upstream = new TestUpstream(app, new Uri($"{scheme}://127.0.0.1:{address.Port}/"));
        upstream._closes = closes;
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
