using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Routing;
using K8sWsProxy.Sidecar.Tls;

namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>One applied document with everything built from it; replaced whole, never changed in place.</summary>
internal sealed class ActiveConfig(SidecarConfigDocument document, IReadOnlyDictionary<string, RouteRuntime> routes, CertificateSet certificates)
{
    public static ActiveConfig Empty { get; } = new(new SidecarConfigDocument(), new Dictionary<string, RouteRuntime>(), CertificateSet.Empty);

    public SidecarConfigDocument Document { get; } = document;

    public string? Revision => Document.Revision;

    /// <summary>By route key ("namespace/name"), which is also the YARP route id.</summary>
    public IReadOnlyDictionary<string, RouteRuntime> Routes { get; } = routes;

    public CertificateSet Certificates { get; } = certificates;

    /// <summary>The routes in the order requests are matched against them.</summary>
    public RouteTable Table { get; } = RouteTable.Build(document.Routes.Select(r => routes[r.Key]));
}
