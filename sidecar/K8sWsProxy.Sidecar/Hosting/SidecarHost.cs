using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Admin;
using K8sWsProxy.Sidecar.Channel;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Routing;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Yarp.ReverseProxy.Configuration;

namespace K8sWsProxy.Sidecar.Hosting;

/// <summary>
/// One running sidecar: the traffic server (plain and TLS listeners, YARP) and the admin server, sharing one
/// config applier. The process entry point and the tests start it the same way.
/// </summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly WebApplication _traffic;
    private readonly WebApplication _admin;

    private SidecarHost(WebApplication traffic, WebApplication admin)
    {
        _traffic = traffic;
        _admin = admin;
    }

    public Uri PlainUrl { get; private set; } = null!;

    public Uri? TlsUrl { get; private set; }

    public Uri AdminUrl { get; private set; } = null!;

    /// <summary>The single entry point for new documents (file source, operator channel, tests).</summary>
    public Task<ApplyResult> ApplyAsync(SidecarConfigDocument document, CancellationToken cancellationToken = default) =>
        _traffic.Services.GetRequiredService<ConfigApplier>().ApplyAsync(document, cancellationToken);

    public string? ActiveRevision => _traffic.Services.GetRequiredService<ConfigApplier>().Current.Revision;

    /// <summary>
    /// Builds and starts both servers with <paramref name="initial"/> applied before the first connection is
    /// accepted; without one, the document saved in the state directory, if any (else not ready until one comes).
    /// </summary>
    public static async Task<SidecarHost> StartAsync(SidecarOptions options, SidecarConfigDocument? initial, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var listeners = new ListenOptions?[2];
        var traffic = BuildTraffic(options, logging, listeners);
        var applier = traffic.Services.GetRequiredService<ConfigApplier>();
        if ((initial ?? traffic.Services.GetRequiredService<StateStore>().Load()) is { } document)
        {
            var result = await applier.ApplyAsync(document, cancellationToken);
            if (!result.Accepted)
            {
                throw new InvalidOperationException(result.ToString());
            }
        }

        var admin = AdminEndpoints.Build(options, applier, traffic.Services.GetRequiredService<SidecarMetrics>(), logging);
        var host = new SidecarHost(traffic, admin);
        await traffic.StartAsync(cancellationToken);
        await admin.StartAsync(cancellationToken);
        // Kestrel writes the bound port back into the listen options, which matters when port 0 was asked for.
        host.PlainUrl = Url("http", listeners[0]!.IPEndPoint!);
        host.TlsUrl = listeners[1] is { } tls ? Url("https", tls.IPEndPoint!) : null;
        host.AdminUrl = AdminEndpoints.BoundUrl(admin);
        return host;
    }

    private static Uri Url(string scheme, IPEndPoint endpoint) => new($"{scheme}://{endpoint}/");

    private static WebApplication BuildTraffic(SidecarOptions options, Action<ILoggingBuilder>? logging, ListenOptions?[] listeners)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The framework's per-request lines (YARP logs two per proxied connection) would drown ours; its warnings stay.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new TunnelScheduler(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMilliseconds(100)));
        builder.Services.AddSingleton<DocumentProxyConfigProvider>();
        builder.Services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<DocumentProxyConfigProvider>());
        builder.Services.AddSingleton<SidecarMetrics>();
        builder.Services.AddSingleton<RouteDrainer>();
        builder.Services.AddSingleton<StateStore>();
        builder.Services.AddSingleton<ConfigApplier>();
        builder.Services.AddSingleton<WebSocketProxyHandler>();
        builder.Services.AddSingleton<MatcherPolicy, RegexPathMatcherPolicy>();
        builder.Services.AddHostedService<ShutdownDrain>();
        builder.Services.AddHostedService<FileConfigSource>();
        builder.Services.AddHostedService<OperatorChannelClient>();
        builder.Services.AddReverseProxy();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listeners[0] = listen;
            });
            if (options.ListenTls is { } tls)
            {
                kestrel.Listen(tls, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listeners[1] = listen;
                    listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = context => ServerTls(kestrel, context) });
                });
            }
        });

        var app = builder.Build();
        var handler = app.Services.GetRequiredService<WebSocketProxyHandler>();
        app.MapReverseProxy(proxy => proxy.Use((HttpContext context, RequestDelegate _) => handler.InvokeAsync(context)));
        app.MapFallback(context => ErrorResponses.WriteAsync(context, StatusCodes.Status404NotFound, "no route matches this request", null));
        return app;
    }

    /// <summary>Per handshake, from the active document: rotation is a reference swap, never a listener restart.</summary>
    private static ValueTask<SslServerAuthenticationOptions> ServerTls(KestrelServerOptions kestrel, TlsHandshakeCallbackContext context)
    {
        var services = kestrel.ApplicationServices;
        var name = context.ClientHelloInfo.ServerName;
        var entry = services.GetRequiredService<ConfigApplier>().Current.Certificates.Select(name);
        if (entry is null)
        {
            Log.NoCertificate(services.GetRequiredService<ILogger<SidecarHost>>(), name);
            throw new AuthenticationException($"no certificate for '{name}'");
        }

        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = entry.Context,
            EnabledSslProtocols = entry.Protocols,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });
    }

    /// <summary>Graceful stop, as on SIGTERM.</summary>
    public async Task StopAsync()
    {
        await _traffic.StopAsync();
        await _admin.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _traffic.DisposeAsync();
        await _admin.DisposeAsync();
    }
}
