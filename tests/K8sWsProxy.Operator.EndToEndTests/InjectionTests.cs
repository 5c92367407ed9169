using k8s;
using k8s.Models;
using K8sWsProxy.Contracts.Channel;

namespace K8sWsProxy.Operator.EndToEndTests;

/// <summary>
/// Sidecar injection through the real path: kubectl creates a labelled pod, the API server (the emulator) calls the
/// webhook the chart registered over HTTPS, the operator answers with the sidecar, and a sidecar started from the
/// spec the pod came back with gets its config from the operator and serves.
/// </summary>
[Collection(ProxyClusterCollection.Name)]
public sealed class InjectionTests(ProxyCluster cluster) : ClusterTest(cluster)
{
    [Fact]
    public async Task A_labelled_pod_gets_the_sidecar_and_a_sidecar_started_from_its_spec_serves()
    {
        await Cluster.ApplyAsync(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "injected-pod.yaml")));
        try
        {
            var pod = await Cluster.Client.CoreV1.ReadNamespacedPodAsync("chat-injected", ProxyCluster.Namespace);

            // The emulator reports Kubernetes 1.32: a native sidecar, started before the app and stopped after it.
            Assert.NotNull(pod.Spec.InitContainers);
            var sidecar = Assert.Single(pod.Spec.InitContainers, c => c.Name == "wsproxy");
            Assert.Equal(("k8s-ws-proxy/sidecar:0.1.0", "Always"), (sidecar.Image, sidecar.RestartPolicy));
            Assert.Equal(["app"], pod.Spec.Containers.Select(c => c.Name));
            Assert.Equal("true", pod.Metadata.Labels[ProxyCluster.SidecarLabel]);
            Assert.True(pod.Spec.TerminationGracePeriodSeconds >= 35, "the grace period covers the sidecar's drain");
            var token = Assert.Single(pod.Spec.Volumes, v => v.Projected is not null).Projected.Sources.Single().ServiceAccountToken;
            Assert.Equal(ChannelProtocol.Audience, token.Audience);
            var caMap = Assert.Single(pod.Spec.Volumes, v => v.ConfigMap is not null).ConfigMap.Name;

            // Started as the kubelet would: the volumes' files, the pod's own address, the pod Running.
            var ip = IPAddress.Parse("127.0.0.5");
            var directory = Directory.CreateTempSubdirectory("wsproxy-injected-").FullName;
            var tokenFile = Path.Combine(directory, "token");
            await File.WriteAllTextAsync(tokenFile, await Cluster.TokenAsync(pod, token.Audience));
            var caFile = Path.Combine(directory, "ca.crt");
            await File.WriteAllTextAsync(caFile, (await Cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(caMap, ProxyCluster.Namespace)).Data["ca.crt"]);
            var (plain, admin) = (Ports.Free(ip), Ports.Free(ip));
            var args = Kubelet(sidecar.Args, new Dictionary<string, string>
            {
                ["--token-file"] = tokenFile,
                ["--operator-ca"] = caFile,
                ["--state-dir"] = Path.Combine(directory, "state"),
                ["--listen"] = $"{ip}:{plain}",
                ["--listen-tls"] = $"{ip}:{Ports.Free(ip)}",
                ["--admin"] = $"{ip}:{admin}",
                // No cluster DNS here: the Service's name is the first operator's address (its certificate names both).
                ["--operator"] = sidecar.Args[sidecar.Args.IndexOf("--operator") + 1].Replace($"{ProxyCluster.OperatorHost}:9443", $"127.0.0.1:{Cluster.Operators[0].Port}", StringComparison.Ordinal),
            });
            await Cluster.Client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(KubernetesJson.Serialize(new V1Pod { Status = new V1PodStatus { Phase = "Running", PodIP = ip.ToString() } }), V1Patch.PatchType.MergePatch), pod.Metadata.Name, ProxyCluster.Namespace);

            using var process = ServiceProcess.StartSidecar(args);
            await process.WaitReadyAsync();
            await Cluster.ApplyAsync($$$"""
                apiVersion: k8swsproxy.io/v1alpha1
                kind: WebSocketRoute
                metadata: {name: injected, namespace: {{{ProxyCluster.Namespace}}}}
                spec:
                  selector: {matchLabels: {app: chat-injected}}
                  match: {path: /ws}
                  upstream: {endpoints: [{url: "ws://127.0.0.1:{{{Cluster.EchoA}}}/socket"}]}
                """);
            await Cluster.WaitForRouteAsync("injected", r => ProxyCluster.IsReady(r, 1, 1), "1/1 Ready");
            Assert.Equal("a", await Ws.RefusedOrNameAsync(new Uri($"ws://{ip}:{plain}/ws")));
            Directory.Delete(directory, recursive: true);
        }
        finally
        {
            await Cluster.Client.CoreV1.DeleteNamespacedPodAsync("chat-injected", ProxyCluster.Namespace);
        }
    }

    /// <summary>The container's arguments with each flag's value replaced where the test must (paths, addresses).</summary>
    private static List<string> Kubelet(IList<string> args, Dictionary<string, string> values)
    {
        var mapped = args.ToList();
        foreach (var (flag, value) in values)
        {
            var at = mapped.IndexOf(flag);
            Assert.True(at >= 0, $"the injected sidecar has {flag}");
            mapped[at + 1] = value;
        }

        return mapped;
    }
}
