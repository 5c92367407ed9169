using System.Net;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Admin;
using K8sWsProxy.Sidecar.Channel;
using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Http1;
using K8sWsProxy.Sidecar.Metrics;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Tunnel;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace K8sWsProxy.Sidecar.Hosting;

/// <summary>
/// One running sidecar: the traffic host (the plain listener, our own HTTP/1.1 data plane; the TLS listener,
/// Kestrel and YARP, only when asked for) and the admin server, sharing one config applier. The process entry
/// point and the tests start it the same way.
/// </summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly IHost _traffic;
    private Task? _stopping;

    private SidecarHost(IHost traffic) => _traffic = traffic;

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
        var traffic = options.ListenTls is null ? BuildPlain(options, logging) : BuildWithTls(options, logging);
        var applier = traffic.Services.GetRequiredService<ConfigApplier>();
        if ((initial ?? traffic.Services.GetRequiredService<StateStore>().Load()) is { } document)
        {
            var result = await applier.ApplyAsync(document, cancellationToken);
            if (!result.Accepted)
            {
                throw new InvalidOperationException(result.ToString());
            }
        }

        var host = new SidecarHost(traffic);
        await traffic.StartAsync(cancellationToken);
        var listeners = traffic.Services.GetRequiredService<Listeners>();
        host.PlainUrl = Url("http", listeners.Plain.LocalEndPoint);
        host.TlsUrl = listeners.Tls is { } tls ? Url("https", tls.LocalEndPoint) : null;
        host.AdminUrl = Url("http", listeners.Admin.LocalEndPoint);
        return host;
    }

    private static Uri Url(string scheme, IPEndPoint endpoint) => new($"{scheme}://{endpoint}/");

    private static IHost BuildPlain(SidecarOptions options, Action<ILoggingBuilder>? logging)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        AddTrafficServices(builder.Services, builder.Configuration, builder.Logging, options, logging);
        builder.Services.AddSingleton(sp => new Listeners(PlainListener(sp, options), null, AdminListener(sp, options)));
        return builder.Build();
    }

    /// <summary>
    /// With TLS, the traffic host is also a web host: Kestrel and YARP serve the connections whose client chose
    /// HTTP/2, handed over by our TLS listener (there is no Kestrel socket).
    /// </summary>
    private static WebApplication BuildWithTls(SidecarOptions options, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        AddTrafficServices(builder.Services, builder.Configuration, builder.Logging, options, logging);
        builder.Services.AddSingleton<Http2Handoff>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<Http2Handoff>());
        builder.Services.AddSingleton(sp => new Listeners(
            PlainListener(sp, options),
            new TrafficListener(
                options.ListenTls!,
                ActivatorUtilities.CreateInstance<TlsFront>(sp, sp.GetRequiredService<Http2Handoff>()).ServeAsync,
                sp.GetRequiredService<ILogger<TrafficListener>>()),
            AdminListener(sp, options)));
        builder.Services.AddSingleton<WebSocketProxyHandler>();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
            kestrel.Listen(Http2Handoff.Endpoint, listen => listen.Protocols = HttpProtocols.Http2);
        });

        var app = builder.Build();
        var handler = app.Services.GetRequiredService<WebSocketProxyHandler>();
        app.Run(handler.InvokeAsync);
        return app;
    }

    /// <summary>
    /// What both hosts run: the config applier and its sources, the plain listener, the shutdown drain. Both are empty
    /// builders: only environment variables (Logging__…) and a console log, no appsettings files, whose reload
    /// watchers would each take one of the node's inotify instances (128 per user by default) in every pod.
    /// </summary>
    private static void AddTrafficServices(IServiceCollection services, ConfigurationManager configuration, ILoggingBuilder logs, SidecarOptions options, Action<ILoggingBuilder>? logging)
    {
        configuration.AddEnvironmentVariables();
        logs.AddConfiguration(configuration.GetSection("Logging"));
        logs.AddSimpleConsole();
        // The framework's per-request lines (YARP logs two per proxied connection) would drown ours; its warnings stay.
        logs.AddFilter("Microsoft", LogLevel.Warning);
        logs.AddFilter("Yarp", LogLevel.Warning);
        logging?.Invoke(logs);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(5));
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new TunnelScheduler(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMilliseconds(100)));
        services.AddSingleton<SidecarMetrics>();
        services.AddSingleton(sp => sp.GetRequiredService<SidecarMetrics>().PendingHandshakes);
        services.AddSingleton<RouteDrainer>();
        services.AddSingleton<StateStore>();
        services.AddSingleton<ConfigApplier>();
        services.AddSingleton<Http1Proxy>();
        services.AddHostedService(sp => sp.GetRequiredService<Listeners>());
        services.AddHostedService<ShutdownDrain>();
        services.AddHostedService<FileConfigSource>();
        services.AddHostedService<OperatorChannelClient>();
        services.AddHostedService<MemoryTrimmer>();
    }

    private static TrafficListener PlainListener(IServiceProvider services, SidecarOptions options) =>
        new(options.Listen, services.GetRequiredService<Http1Proxy>().ServeAsync, services.GetRequiredService<ILogger<TrafficListener>>());

    private static TrafficListener AdminListener(IServiceProvider services, SidecarOptions options) =>
        new(options.Admin, ActivatorUtilities.CreateInstance<AdminServer>(services).ServeAsync, services.GetRequiredService<ILogger<TrafficListener>>());

    /// <summary>The listeners, started and stopped together: plain and admin always, TLS when asked for.</summary>
    private sealed record Listeners(TrafficListener Plain, TrafficListener? Tls, TrafficListener Admin) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await Plain.StartAsync(cancellationToken);
            await (Tls?.StartAsync(cancellationToken) ?? Task.CompletedTask);
            await Admin.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) =>
            Task.WhenAll(Plain.StopAsync(cancellationToken), Tls?.StopAsync(cancellationToken) ?? Task.CompletedTask, Admin.StopAsync(cancellationToken));
    }

    /// <summary>Graceful stop, as on SIGTERM; once, however often it is asked for.</summary>
    public Task StopAsync()
    {
        lock (_traffic)
        {
            return _stopping ??= StopOnceAsync();
        }
    }

    private Task StopOnceAsync() => _traffic.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_traffic is IAsyncDisposable traffic)
        {
            await traffic.DisposeAsync();
        }
        else
        {
            _traffic.Dispose();
        }
    }
}
