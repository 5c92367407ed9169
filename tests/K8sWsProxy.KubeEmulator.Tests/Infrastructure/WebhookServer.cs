using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace K8sWsProxy.KubeEmulator.Tests.Infrastructure;

/// <summary>
/// An HTTPS admission webhook on 127.0.0.1 (a free port) with the given certificate: it records every AdmissionReview
/// it is sent and answers with what <c>respond</c> makes of it. <see cref="Hang"/> makes it never answer.
/// </summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookServer(WebApplication app) => _app = app;

    public IPEndPoint Endpoint { get; private set; } = null!;

    /// <summary>The reviews received, with the path and query they were posted to.</summary>
    public ConcurrentQueue<(string Target, JsonObject Review)> Received { get; } = new();

    /// <summary>When set, requests are recorded and then left unanswered until the server stops (a timeout).</summary>
    public bool Hang { get; set; }

    public static async Task<WebhookServer> StartAsync(X509Certificate2 certificate, Func<JsonObject, JsonObject> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Ports.Any, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var server = new WebhookServer(app);
        app.Run(async context =>
        {
            var review = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
            server.Received.Enqueue((context.Request.Path + context.Request.QueryString, review));
            if (server.Hang)
            {
                await server._stopping.Task.WaitAsync(context.RequestAborted);
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(respond(review).ToJsonString());
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server.Endpoint = new IPEndPoint(IPAddress.Loopback, address.Port);
        return server;
    }

    /// <summary>The answer to <paramref name="review"/>: allowed, with <paramref name="patch"/> (a JSON patch) when given.</summary>
    public static JsonObject Allow(JsonObject review, JsonArray? patch = null)
    {
        var response = new JsonObject { ["uid"] = review["request"]!["uid"]!.ToString(), ["allowed"] = true };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }

        return Answer(response);
    }

    /// <summary>The answer to <paramref name="review"/>: refused with <paramref name="status"/> (a metav1.Status).</summary>
    public static JsonObject Deny(JsonObject review, JsonObject status) =>
        Answer(new JsonObject { ["uid"] = review["request"]!["uid"]!.ToString(), ["allowed"] = false, ["status"] = status });

    public async ValueTask DisposeAsync()
    {
        _stopping.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static JsonObject Answer(JsonObject response) =>
        new() { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
}
