using K8sWsProxy.KubeEmulator.Auth;

namespace K8sWsProxy.KubeEmulator;

/// <summary>Writes the kubeconfig kubectl and KubernetesClient use to reach the emulator (plain HTTP, the admin's token or another).</summary>
internal static class Kubeconfig
{
    public static void Write(string path, Uri server, string ns, string token = TokenAuthority.AdminToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-emulator
              cluster:
                server: {server.ToString().TrimEnd('/')}
            users:
            - name: kube-emulator
              user:
                token: {token}
            contexts:
            - name: kube-emulator
              context:
                cluster: kube-emulator
                user: kube-emulator
                namespace: {ns}
            current-context: kube-emulator

            """);
    }
}
