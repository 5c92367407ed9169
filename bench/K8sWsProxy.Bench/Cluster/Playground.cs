using System.Globalization;
using K8sWsProxy.Bench.Systems;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Bench.Cluster;

/// <summary>
/// `make run`: a <see cref="LocalCluster"/> to try the operator with kubectl (emulator, operator, sidecars on
/// 127.0.0.2 onwards) and an echo upstream, with a route applied, until Ctrl-C.
/// </summary>
internal static class Playground
{
    public static async Task<int> RunAsync(string repo, int sidecarCount, CancellationToken stop)
    {
        var work = Directory.CreateTempSubdirectory("k8s-ws-proxy-playground-").FullName;
        var settings = new SystemSettings(repo, work, "0", Ports.Free(), 1024);
        foreach (var dll in new[] { settings.SidecarExecutable, settings.OperatorDll, settings.EmulatorDll, settings.EchoDll })
        {
            if (!File.Exists(dll))
            {
                Console.Error.WriteLine($"playground: {dll} is missing: build Release first (make build)");
                return 2;
            }
        }

        Console.WriteLine($"playground: starting the API emulator, the operator and {sidecarCount} sidecars (logs in {work})");
        var upstream = await Upstream.StartAsync(settings);
        var secondPort = Ports.Free();
        var second = await Upstream.StartAsync(settings with { UpstreamPort = secondPort }, "upstream-b");
        try
        {
            await using var cluster = await LocalCluster.StartAsync(settings, sidecarCount, File.ReadAllText("/sys/devices/system/cpu/online").Trim(), stop);
            var route = Path.Combine(work, "route.yaml");
            await File.WriteAllTextAsync(route, $$$"""
                # Every sidecar pod (label app=chat) proxies /echo to the echo upstream. Edit and re-apply, or kubectl edit.
                apiVersion: k8swsproxy.io/v1alpha1
                kind: WebSocketRoute
                metadata: {name: echo, namespace: {{{LocalCluster.Namespace}}}}
                spec:
                  selector: {matchLabels: {app: chat}}
                  match: {path: /echo, pathType: Prefix}
                  upstream:
                    endpoints: [{url: "ws://127.0.0.1:{{{settings.UpstreamPort.ToString(CultureInfo.InvariantCulture)}}}/echo"}]
                  headers: {set: {x-forwarded-by: k8s-ws-proxy}}
                """, stop);
            // The seeds' demo (examples/message-rules-route.yaml): snot answered with badger, and failover between the two echo servers.
            var snot = Path.Combine(work, "message-rules-route.yaml");
            await File.WriteAllTextAsync(snot, File.ReadAllText(Path.Combine(repo, "examples", "message-rules-route.yaml"))
                .Replace("ws://127.0.0.1:8080/", $"ws://127.0.0.1:{settings.UpstreamPort.ToString(CultureInfo.InvariantCulture)}/", StringComparison.Ordinal)
                .Replace("ws://127.0.0.1:8081/", $"ws://127.0.0.1:{secondPort.ToString(CultureInfo.InvariantCulture)}/", StringComparison.Ordinal), stop);
            foreach (var file in new[] { route, snot })
            {
                if (await cluster.ApplyAsync(file) != 0)
                {
                    Console.Error.WriteLine($"playground: kubectl apply -f {file} failed, see {cluster.Directory}/kubectl.log");
                    return 1;
                }
            }

            await using var prometheus = StartPrometheus(cluster, work);
            var first = cluster.SidecarUrls.First().Value;
            Console.WriteLine($"""

                K8sWsProxy playground: the operator reconciles WebSocketRoutes for {sidecarCount} sidecars (pods demo/chat-0 …)
                  export KUBECONFIG={cluster.Kubeconfig} PATH={Path.Combine(repo, ".tools", "bin")}:$PATH
                  kubectl get wsr                         # namespace demo: Ready, Synced {sidecarCount}/{sidecarCount}
                  kubectl describe wsr echo               # conditions and events
                  kubectl get pods -L app                 # relabel a pod and watch Synced change
                  kubectl apply -f {route}   # the playground's route demo/echo, to edit and re-apply
                Through the sidecars (each a pod): {string.Join("  ", cluster.SidecarUrls.Values.Select(u => new Uri(u.Plain, "/echo")))}
                  TLS (a route with spec.tls, e.g. examples/tls-route.yaml): {string.Join("  ", cluster.SidecarUrls.Values.Select(u => u.Tls))}
                  demo page:  http://127.0.0.1:{settings.UpstreamPort}/?ws={new Uri(first.Plain, "/echo")}
                Message rules and failover (route demo/snot, {snot}):
                  demo page:  http://127.0.0.1:{settings.UpstreamPort}/?ws={new Uri(first.Plain, "/snot")}   send snot, get badger
                  kill {upstream.Pid}   (or {second.Pid}): the other echo server takes over; the page stays connected and is told
                  a sidecar's config: {new Uri(first.Admin, "/v1/config")}   metrics: {new Uri(first.Admin, "/metrics")}
                  the operator's health: {new Uri(cluster.OperatorHealth, "/readyz")}   metrics: {new Uri(cluster.OperatorHealth, "/metrics")}
                {(prometheus is null ? "Prometheus: not installed (make deps installs it), so no dashboard" : $"Prometheus, scraping the operator and every sidecar: {prometheus.Url}\n  the Grafana dashboard's panels, as Prometheus graphs: {DashboardUrl(prometheus)}")}
                Ctrl-C stops everything.
                """);
            await Task.Delay(Timeout.Infinite, stop);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C, while starting or while running: the way out; the cluster is disposed on the way.
            Console.WriteLine("playground: stopping");
            return 0;
        }
        finally
        {
            await upstream.StopAsync();
            await second.StopAsync();
        }
    }

    /// <summary>Debian's Prometheus scraping the operator and the sidecars, or null when it is not installed.</summary>
    private static PrometheusServer? StartPrometheus(LocalCluster cluster, string work)
    {
        try
        {
            return PrometheusServer.Start(
                cluster.SidecarUrls.Select(s => ("sidecar", s.Value.Admin.Authority, s.Key))
                    .Append(("operator", cluster.OperatorHealth.Authority, "operator")),
                work);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>One Prometheus page with a graph per query of the shipped Grafana dashboard.</summary>
    private static string DashboardUrl(PrometheusServer prometheus) =>
        new Uri(prometheus.Url, "/graph").AbsoluteUri + "?" + string.Join("&", PrometheusServer.DashboardQueries()
            .Where(q => !q.Panel.StartsWith("variable ", StringComparison.Ordinal))
            .Select((q, i) => $"g{i}.expr={Uri.EscapeDataString(q.Query)}&g{i}.tab=0&g{i}.range_input=15m"));
}
