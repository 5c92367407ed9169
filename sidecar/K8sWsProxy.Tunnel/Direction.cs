namespace K8sWsProxy.Tunnel;

/// <summary>Which way frames travel through the tunnel.</summary>
public enum Direction
{
    /// <summary>Client-to-server frames, masked.</summary>
    ToUpstream,

    /// <summary>Server-to-client frames, unmasked.</summary>
    ToClient,
}
