using k8s;
using K8sWsProxy.Operator.Channel;
using K8sWsProxy.Operator.Events;
using K8sWsProxy.Operator.Informers;
using K8sWsProxy.Operator.Injection;
using K8sWsProxy.Operator.Leadership;
using K8sWsProxy.Operator.Metrics;
using K8sWsProxy.Operator.Queue;
using K8sWsProxy.Operator.Reconcile;
using K8sWsProxy.Operator.Status;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Prometheus;

namespace K8sWsProxy.Operator.Hosting;

/// <summary>
/// The operator process: the controller (informers, work queue, compile, push, status), leader election, the
/// TLS config channel the sidecars dial and the sidecar-injection webhook beside it, and a plain health listener.
/// </summary>
public sealed class OperatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OperatorHost(WebApplication app) => _app = app;

    /// <summary>The bound addresses, "https://…" (channel) and "http://…" (health), ports resolved.</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    public static async Task<OperatorHost> StartAsync(OperatorOptions options, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new ServingCertificate(
            options.TlsCertificateFile, options.TlsKeyFile, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ServingCertificate>>()));
        builder.Services.AddSingleton<IKubernetes>(_ => new Kubernetes(options.Kubeconfig is { } file
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(file)
            : KubernetesClientConfiguration.InClusterConfig()));
        builder.Services.AddSingleton(sp => new WorkQueue<ControllerWork>(new ExponentialBackoff<ControllerWork>(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30)), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ClusterCache>();
        builder.Services.AddSingleton<ChannelHub>();
        builder.Services.AddSingleton<CompiledState>();
        builder.Services.AddSingleton<ConfigReconciler>();
        builder.Services.AddSingleton<SidecarRecorder>();
        builder.Services.AddSingleton<EventRecorder>();
        builder.Services.AddSingleton<StatusWriter>();
        builder.Services.AddSingleton<SidecarAuthenticator>();
        builder.Services.AddSingleton<TokenReviewCache>();
        builder.Services.AddSingleton<RefusalLog>();
        builder.Services.AddSingleton<ConnectionCap>();
        builder.Services.AddSingleton<ReplacementBudget>();
        builder.Services.AddSingleton<LeaderElection>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        builder.Services.AddSingleton<OperatorMetrics>();
        builder.Services.AddSingleton<Controller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Controller>());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Before a sidecar authenticates it has this long for each step; an idle connection is not held for
            // Kestrel's default 130 s. An upgraded channel is a WebSocket and no longer subject to these.
            kestrel.Limits.KeepAliveTimeout = options.PreAuthTimeout;
            kestrel.Limits.RequestHeadersTimeout = options.PreAuthTimeout;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                var serving = listen.ApplicationServices.GetRequiredService<ServingCertificate>();
                listen.Use(listen.ApplicationServices.GetRequiredService<ConnectionCap>().Guard);
                listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => serving.Current, HandshakeTimeout = options.PreAuthTimeout });
            });
            kestrel.Listen(options.HealthListen, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        // Loaded now, so unreadable files fail the start (exit 2) rather than the first handshake.
        app.Services.GetRequiredService<ServingCertificate>();
        app.UseWebSockets();
        ChannelEndpoint.Map(app);
        var native = options.Injection.Enabled && await NativeSidecarSupport.ResolveAsync(
            options.Injection.NativeSidecars, app.Services.GetRequiredService<IKubernetes>(), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(NativeSidecarSupport)), cancellationToken);
        AdmissionEndpoint.Map(app, native);
        var controller = app.Services.GetRequiredService<Controller>();
        var hub = app.Services.GetRequiredService<ChannelHub>();
        var leader = app.Services.GetRequiredService<LeaderElection>();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapMetrics("/metrics", app.Services.GetRequiredService<OperatorMetrics>().Registry);
        app.MapGet("/readyz", () => controller.Synced.IsCompletedSuccessfully
            ? Results.Text($"ready leader={leader.IsLeader} sidecars={hub.Connected}\n")
            : Results.Text("caches not synced yet\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.Lifetime.ApplicationStopping.Register(hub.CloseAll);
        await app.StartAsync(cancellationToken);
        return new OperatorHost(app);
    }

    /// <summary>Graceful stop, as on SIGTERM: sidecars are told to reconnect elsewhere, workers finish, watches end.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

}
