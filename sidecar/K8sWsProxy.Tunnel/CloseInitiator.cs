namespace K8sWsProxy.Tunnel;

/// <summary>Who ended a tunnel.</summary>
public enum CloseInitiator
{
    Client,
    Upstream,
    Proxy,
}
