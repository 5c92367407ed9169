using System.Net;

namespace K8sWsProxy.KubeEmulator;

/// <summary>How to start an emulator. The defaults suit a test: a free port, a temporary kubeconfig.</summary>
public sealed class KubeEmulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Where to write the kubeconfig; null writes one into a temporary folder removed on dispose.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>The namespace of the kubeconfig's context: what kubectl uses without -n.</summary>
    public string KubeconfigNamespace { get; set; } = "default";

    /// <summary>YAML/JSON files, or folders of them, created at start: Namespaces first, then CRDs, then everything else.</summary>
    public IList<string> Preload { get; } = [];

    /// <summary>How long a watch that asked for bookmarks may stay quiet before it gets one (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Changes kept for watch resume; older resume points get 410 Gone. <see cref="KubeApiEmulator.CompactHistory"/> forces it.</summary>
    public int HistoryLimit { get; set; } = 10_000;

    /// <summary>Longest a watch stays open when the client gives no timeoutSeconds (the real server picks 30 to 60 minutes).</summary>
    public TimeSpan MaxWatchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Where admission webhooks are dialled, the emulator having no cluster network: <c>name.namespace.svc:port</c> (a
    /// webhook's <c>clientConfig.service</c>; or a <c>clientConfig.url</c>'s host and port) to an endpoint on 127.0.0.0/8.
    /// TLS is still checked against the service's name. <see cref="KubeApiEmulator.AddServiceAddress"/> adds one later.
    /// </summary>
    public IDictionary<string, IPEndPoint> ServiceAddresses { get; } = new Dictionary<string, IPEndPoint>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The clock behind timestamps, ages and token expiry.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}
