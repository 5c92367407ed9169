using k8s;

namespace K8sWsProxy.Operator.Informers;

/// <summary>How an informer lists and watches one kind in one scope (a namespace, or all of them).</summary>
/// <param name="Describe">"pods in demo": for logs.</param>
/// <param name="List">Every object and the list's resourceVersion.</param>
/// <param name="Watch">Changes after a resourceVersion, bookmarks asked for; ERROR events go to the callback.</param>
public sealed record ListWatch<T>(
    string Describe,
    Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> List,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> Watch);
