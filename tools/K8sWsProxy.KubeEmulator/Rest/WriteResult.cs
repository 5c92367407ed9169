using System.Text.Json.Nodes;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>A write's outcome: the served body, the HTTP code, and any <c>Warning</c> headers.</summary>
internal sealed record WriteResult(JsonObject Body, int StatusCode, IReadOnlyList<string> Warnings);
