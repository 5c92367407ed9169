using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using K8sWsProxy.KubeEmulator;

namespace K8sWsProxy.Chart.Tests;

/// <summary>
/// The chart installed, upgraded, rolled back and uninstalled by the real helm against the API emulator, which
/// validates every object as the API server does: what a platform engineer's `helm install` leaves in a cluster.
/// </summary>
public sealed class ChartInstallTests : IAsyncLifetime
{
    private const string Namespace = "k8s-ws-proxy";
    private const string Release = "k8s-ws-proxy";
    private KubeApiEmulator _kube = null!;
    private Kubernetes _client = null!;
    private Helm _helm = null!;

    public async Task InitializeAsync()
    {
        _kube = await KubeApiEmulator.StartAsync(new KubeEmulatorOptions { Preload = { Path.Combine(Helm.Chart, "crds") } });
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_kube.KubeconfigPath));
        _helm = new Helm(_kube.KubeconfigPath);
        foreach (var ns in new[] { Namespace, "demo" })
        {
            await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }
    }

    public async Task DisposeAsync()
    {
        _helm.Dispose();
        _client.Dispose();
        await _kube.DisposeAsync();
    }

    private Task<string> InstallAsync(params string[] sets) =>
        _helm.OkAsync(["install", Release, Helm.Chart, "--namespace", Namespace, .. sets.SelectMany(s => new[] { "--set", s })]);

    private async Task<IReadOnlyList<string>> OperatorArgsAsync() =>
        [.. (await _client.AppsV1.ReadNamespacedDeploymentAsync(Release, Namespace)).Spec.Template.Spec.Containers[0].Args];

    [Fact]
    public async Task Install_with_defaults_gives_one_address_one_CA_and_a_certificate_for_it()
    {
        var notes = await InstallAsync();
        const string Address = "k8s-ws-proxy.k8s-ws-proxy.svc";
        Assert.Contains($"wss://{Address}:9443/v1/channel", notes, StringComparison.Ordinal);

        var service = await _client.CoreV1.ReadNamespacedServiceAsync(Release, Namespace);
        Assert.Equal([9443, 8081], service.Spec.Ports.Select(p => p.Port));
        var args = await OperatorArgsAsync();
        Assert.Contains($"--inject-operator-url=wss://{Address}:9443/v1/channel", args);
        Assert.Contains("--inject-ca-configmap=k8s-ws-proxy-ca", args);
        Assert.Contains($"--leader-election-namespace={Namespace}", args);

        // The generated CA is the one sidecars mount, the one the webhook configuration trusts, and the serving
        // certificate's issuer; the certificate is valid for the Service's name.
        var secret = await _client.CoreV1.ReadNamespacedSecretAsync("k8s-ws-proxy-channel-tls", Namespace);
        Assert.Equal("kubernetes.io/tls", secret.Type);
        var ca = System.Text.Encoding.ASCII.GetString(secret.Data["ca.crt"]);
        Assert.Equal(ca, (await _client.CoreV1.ReadNamespacedConfigMapAsync("k8s-ws-proxy-ca", Namespace)).Data["ca.crt"]);
        var webhooks = await _client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(Release);
        Assert.All(webhooks.Webhooks, w => Assert.Equal(ca, System.Text.Encoding.ASCII.GetString(w.ClientConfig.CaBundle)));
        Assert.All(webhooks.Webhooks, w => Assert.Equal(("Ignore", "/mutate-pods", 9443), (w.FailurePolicy, w.ClientConfig.Service.Path, w.ClientConfig.Service.Port)));
        using var serving = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"]));
        Assert.True(serving.MatchesHostname(Address), serving.Subject);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(ca));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(serving), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));

        var budget = await _client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(Release, Namespace);
        Assert.Equal("1", budget.Spec.MinAvailable.Value);
        Assert.Single((await _client.CoreV1.ListNamespacedSecretAsync(Namespace, labelSelector: "owner=helm,name=" + Release)).Items);
    }

    [Fact]
    public async Task Non_default_values_land_where_they_should()
    {
        await InstallAsync("replicas=1", "injection.enabled=false", "watchNamespaces={demo}", "podLabels.team=chat");

        var deployment = await _client.AppsV1.ReadNamespacedDeploymentAsync(Release, Namespace);
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("chat", deployment.Spec.Template.Metadata.Labels["team"]);
        var args = await OperatorArgsAsync();
        Assert.Contains("--namespaces=demo", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--inject", StringComparison.Ordinal));
        Assert.Empty((await _client.AdmissionregistrationV1.ListMutatingWebhookConfigurationAsync()).Items);
        Assert.Empty((await _client.PolicyV1.ListNamespacedPodDisruptionBudgetAsync(Namespace)).Items);
        // Sidecars in a watched namespace find the CA in their own namespace.
        Assert.NotEmpty((await _client.CoreV1.ReadNamespacedConfigMapAsync("k8s-ws-proxy-ca", "demo")).Data["ca.crt"]);

        // The operator may read Secrets in the watched namespace only; reviewing tokens stays cluster-wide.
        async Task<bool> MayAsync(string verb, string group, string resource, string ns) =>
            (await _client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = $"system:serviceaccount:{Namespace}:{Release}",
                    Groups = ["system:serviceaccounts", $"system:serviceaccounts:{Namespace}", "system:authenticated"],
                    ResourceAttributes = new V1ResourceAttributes { Verb = verb, Group = group, Resource = resource, NamespaceProperty = ns },
                },
            })).Status.Allowed;
        Assert.True(await MayAsync("watch", "", "secrets", "demo"));
        Assert.False(await MayAsync("watch", "", "secrets", "default"));
        Assert.False(await MayAsync("watch", "", "secrets", ""));
        Assert.True(await MayAsync("create", "authentication.k8s.io", "tokenreviews", ""));
    }

    [Fact]
    public async Task Upgrade_lands_its_change_and_keeps_the_certificate_rollback_restores_uninstall_removes_everything()
    {
        await InstallAsync();
        var certificate = (await _client.CoreV1.ReadNamespacedSecretAsync("k8s-ws-proxy-channel-tls", Namespace)).Data["tls.crt"];

        await _helm.OkAsync("upgrade", Release, Helm.Chart, "--namespace", Namespace, "--set", "replicas=3", "--set", "injection.failurePolicy=Fail");
        Assert.Equal(3, (await _client.AppsV1.ReadNamespacedDeploymentAsync(Release, Namespace)).Spec.Replicas);
        Assert.All((await _client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(Release)).Webhooks, w => Assert.Equal("Fail", w.FailurePolicy));
        Assert.Equal(certificate, (await _client.CoreV1.ReadNamespacedSecretAsync("k8s-ws-proxy-channel-tls", Namespace)).Data["tls.crt"]);

        await _helm.OkAsync("rollback", Release, "1", "--namespace", Namespace);
        Assert.Equal(2, (await _client.AppsV1.ReadNamespacedDeploymentAsync(Release, Namespace)).Spec.Replicas);
        Assert.All((await _client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(Release)).Webhooks, w => Assert.Equal("Ignore", w.FailurePolicy));

        await _helm.OkAsync("uninstall", Release, "--namespace", Namespace);
        const string Mine = "app.kubernetes.io/instance=" + Release;
        Assert.Empty((await _client.AppsV1.ListNamespacedDeploymentAsync(Namespace, labelSelector: Mine)).Items);
        Assert.Empty((await _client.CoreV1.ListNamespacedServiceAsync(Namespace, labelSelector: Mine)).Items);
        Assert.Empty((await _client.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: Mine)).Items);
        Assert.Empty((await _client.CoreV1.ListNamespacedSecretAsync(Namespace)).Items);
        Assert.Empty((await _client.CoreV1.ListNamespacedServiceAccountAsync(Namespace, labelSelector: Mine)).Items);
        Assert.Empty((await _client.RbacAuthorizationV1.ListNamespacedRoleAsync(Namespace, labelSelector: Mine)).Items);
        Assert.Empty((await _client.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: Mine)).Items);
        Assert.Empty((await _client.RbacAuthorizationV1.ListClusterRoleAsync(labelSelector: Mine)).Items);
        Assert.Empty((await _client.AdmissionregistrationV1.ListMutatingWebhookConfigurationAsync()).Items);
        Assert.Empty((await _client.PolicyV1.ListNamespacedPodDisruptionBudgetAsync(Namespace)).Items);
    }

    [Fact]
    public async Task Monitoring_objects_install_where_the_Prometheus_Operator_CRDs_are()
    {
        using var kubectl = new Kubectl(_kube.KubeconfigPath);
        var crds = await kubectl.RunAsync("apply", "-f", Path.Combine(AppContext.BaseDirectory, "testdata", "monitoring-crds.yaml"));
        Assert.True(crds.ExitCode == 0, crds.ToString());
        await InstallAsync("serviceMonitor.enabled=true", "prometheusRule.enabled=true");
        var listed = await kubectl.RunAsync("get", "podmonitors,prometheusrules", "-n", Namespace, "-o", "name");
        Assert.Equal(["podmonitor.monitoring.coreos.com/k8s-ws-proxy-sidecars", "prometheusrule.monitoring.coreos.com/k8s-ws-proxy"], listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Broken_values_fail_with_the_schemas_or_the_API_servers_message()
    {
        var mistyped = await _helm.RunAsync("install", Release, Helm.Chart, "--namespace", Namespace, "--set", "replicas=two");
        Assert.NotEqual(0, mistyped.ExitCode);
        Assert.Contains("at '/replicas': got string, want integer", mistyped.Stderr, StringComparison.Ordinal);

        // The schema cannot check a label key; the API server can, and names the field.
        var badLabel = await _helm.RunAsync("install", Release, Helm.Chart, "--namespace", Namespace, "--set", "podLabels.-team=chat");
        Assert.NotEqual(0, badLabel.ExitCode);
        Assert.Contains("Deployment.apps \"k8s-ws-proxy\" is invalid: spec.template.metadata.labels: Invalid value: \"-team\"", badLabel.Stderr, StringComparison.Ordinal);
    }
}
