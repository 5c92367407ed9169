using K8sWsProxy.Sidecar.Configuration;
using K8sWsProxy.Sidecar.Hosting;
using K8sWsProxy.Sidecar.Metrics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;

namespace K8sWsProxy.Sidecar.Admin;

/// <summary>
/// The admin server, on its own port so traffic routes can never shadow it: liveness, readiness (a document is
/// active), Prometheus metrics and the active config summary (never a key).
/// </summary>
internal static class AdminEndpoints
{
    public static WebApplication Build(SidecarOptions options, ConfigApplier configs, SidecarMetrics metrics, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Admin, l => l.Protocols = HttpProtocols.Http1));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJson.Default));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => configs.HasDocument
            ? Results.Text($"ready {configs.Current.Revision}\n")
            : Results.Text("no config document yet\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapGet("/v1/config", () => Results.Json(ConfigSummary.From(configs.Current), AdminJson.Default.ConfigSummary));
        return app;
    }

    public static Uri BoundUrl(WebApplication admin) =>
        new(admin.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
