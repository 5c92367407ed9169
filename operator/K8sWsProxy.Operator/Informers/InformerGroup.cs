using k8s;
using k8s.Models;

namespace K8sWsProxy.Operator.Informers;

/// <summary>One kind over the watched namespaces: an informer per namespace, or one for all, read as one cache.</summary>
public sealed class InformerGroup<T>(IReadOnlyList<Informer<T>> informers)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public Task Synced => Task.WhenAll(informers.Select(i => i.Synced));

    public IEnumerable<T> Items => informers.SelectMany(i => i.Items);

    public T? Get(string key) => informers.Select(i => i.Get(key)).FirstOrDefault(i => i is not null);

    public event Action<T?, T?>? Changed
    {
        add
        {
            foreach (var informer in informers)
            {
                informer.Changed += value;
            }
        }

        remove
        {
            foreach (var informer in informers)
            {
                informer.Changed -= value;
            }
        }
    }

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(informers.Select(i => i.RunAsync(cancellationToken)));
}
