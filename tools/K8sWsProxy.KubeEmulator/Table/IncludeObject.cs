namespace K8sWsProxy.KubeEmulator.Table;

/// <summary>What a Table row carries of its object, as the request's <c>includeObject</c> asks.</summary>
internal enum IncludeObject
{
    None,
    Metadata,
    Object,
}
