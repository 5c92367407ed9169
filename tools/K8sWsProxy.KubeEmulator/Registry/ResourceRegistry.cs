namespace K8sWsProxy.KubeEmulator.Registry;

/// <summary>
/// The resources currently served. Readers take the current snapshot without locking; CRD writes replace it
/// (under the store's lock), so a CRD is served, discoverable and watchable from the moment its write returns.
/// </summary>
internal sealed class ResourceRegistry
{
    private volatile IReadOnlyList<ResourceKind> _kinds = BuiltinKinds.All;

    public IReadOnlyList<ResourceKind> Kinds => _kinds;

    public ResourceKind? Find(string group, string version, string plural) =>
        _kinds.Concat(BuiltinKinds.Reviews).FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);

    /// <summary>Group/versions in discovery order: core first, then groups as they were registered.</summary>
    public IEnumerable<IGrouping<string, ResourceKind>> ByGroupVersion() =>
        _kinds.Concat(BuiltinKinds.Reviews).GroupBy(k => k.ApiVersion);

    /// <summary>Replaces whatever <paramref name="crdName"/> served before with <paramref name="kinds"/>.</summary>
    public void Define(string crdName, IReadOnlyList<ResourceKind> kinds) =>
        _kinds = _kinds.Where(k => k.DefinedBy != crdName).Concat(kinds).ToArray();

    public void Remove(string crdName) => _kinds = _kinds.Where(k => k.DefinedBy != crdName).ToArray();
}
