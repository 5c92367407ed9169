using System.Net;
using K8sWsProxy.KubeEmulator.Admission;
using K8sWsProxy.KubeEmulator.Auth;
using K8sWsProxy.KubeEmulator.Http;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;
using K8sWsProxy.KubeEmulator.Storage;
using K8sWsProxy.KubeEmulator.Watch;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace K8sWsProxy.KubeEmulator;

/// <summary>
/// An in-memory Kubernetes API server on 127.0.0.1 that the real kubectl and KubernetesClient talk to.
/// <code>
/// await using var kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions { Preload = { "testdata" } });
/// var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kube.KubeconfigPath));
/// </code>
/// </summary>
public sealed class KubeApiEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly FaultInjector _faults;
    private readonly ServiceAddresses _serviceAddresses;
    private readonly string? _ownedDirectory;

    private KubeApiEmulator(
        WebApplication app, ObjectStore store, FaultInjector faults, ServiceAddresses serviceAddresses, Uri url, string kubeconfigPath, string? ownedDirectory)
    {
        _app = app;
        _store = store;
        _faults = faults;
        _serviceAddresses = serviceAddresses;
        Url = url;
        KubeconfigPath = kubeconfigPath;
        _ownedDirectory = ownedDirectory;
    }

    /// <summary>The server address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; }

    /// <summary>A kubeconfig whose current context points at this emulator (namespace <see cref="KubeEmulatorOptions.KubeconfigNamespace"/>).</summary>
    public string KubeconfigPath { get; }

    /// <summary>The current global resourceVersion.</summary>
    public long ResourceVersion => _store.Revision;

    public static async Task<KubeApiEmulator> StartAsync(KubeEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubeEmulatorOptions();
        var serviceAddresses = new ServiceAddresses();
        foreach (var (service, endpoint) in options.ServiceAddresses)
        {
            serviceAddresses.Add(service, endpoint);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KubeApiEmulator).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var registry = new ResourceRegistry();
        var store = new ObjectStore(options.HistoryLimit);
        var storage = new RestStorage(store, registry, new MutatingWebhooks(store, new WebhookClient(serviceAddresses)), options.Clock);
        var faults = new FaultInjector();
        var app = builder.Build();
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var handler = new ApiHandler(
            storage,
            registry,
            new TokenAuthority(store, options.Clock),
            new RbacAuthorizer(store),
            new WatchStream(store, options.Clock, options.BookmarkInterval, stopping),
            faults,
            options.Clock,
            options.MaxWatchTimeout);
        app.Run(handler.HandleAsync);

        try
        {
            foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            {
                storage.Create(BuiltinKinds.Namespaces, "", new() { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = ns } }, new WriteOptions(false, FieldValidation.Strict));
            }

            Preloader.Load(storage, registry, options.Preload);
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            // A bad preload file or a taken port: nothing may be left listening or allocated.
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(address.EndsWith('/') ? address : address + "/");
        string? ownedDirectory = null;
        var kubeconfig = options.KubeconfigPath;
        if (kubeconfig is null)
        {
            ownedDirectory = Directory.CreateTempSubdirectory("kube-emulator-").FullName;
            kubeconfig = Path.Combine(ownedDirectory, "kubeconfig");
        }

        Kubeconfig.Write(kubeconfig, url, options.KubeconfigNamespace);
        return new KubeApiEmulator(app, store, faults, serviceAddresses, url, kubeconfig, ownedDirectory);
    }

    /// <summary>
    /// Writes a kubeconfig that authenticates with <paramref name="token"/> (a service account's, from a TokenRequest
    /// for the API server's audience): a program started with it is authorized by RBAC like a pod of that account.
    /// </summary>
    public void WriteKubeconfig(string path, string token, string ns = "default") => Kubeconfig.Write(path, Url, ns, token);

    /// <summary>Forgets the change log: a watch or continue token from any earlier resourceVersion now gets 410 Gone.</summary>
    public void CompactHistory() => _store.CompactHistory();

    /// <summary>Ends every open watch stream (cleanly, as a server-side timeout would).</summary>
    public void DropWatches() => _store.DropWatches();

    /// <summary>The next <paramref name="count"/> requests, of any kind, fail with <paramref name="statusCode"/> (500 or 429 with Retry-After).</summary>
    public void FailNextRequests(int count, int statusCode = 500) => _faults.FailNext(count, statusCode);

    /// <summary>
    /// Dials <paramref name="hostAndPort"/> (<c>name.namespace.svc:port</c>) at <paramref name="endpoint"/> from now on, as
    /// <see cref="KubeEmulatorOptions.ServiceAddresses"/> does: for a webhook server started after the emulator.
    /// </summary>
    /// <exception cref="ArgumentException">Not HOST:PORT, or the endpoint is not on 127.0.0.0/8.</exception>
    public void AddServiceAddress(string hostAndPort, IPEndPoint endpoint) => _serviceAddresses.Add(hostAndPort, endpoint);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownedDirectory is not null)
        {
            Directory.Delete(_ownedDirectory, recursive: true);
        }
    }
}
