namespace K8sWsProxy.KubeEmulator.Admission;

/// <summary>
/// A webhook could not be called or gave an unusable answer: what <c>failurePolicy</c> decides about (Ignore goes on,
/// Fail refuses the write). The message is the reason the real server puts after <c>failed calling webhook "NAME": </c>.
/// </summary>
internal sealed class WebhookCallException(string reason) : Exception(reason);
