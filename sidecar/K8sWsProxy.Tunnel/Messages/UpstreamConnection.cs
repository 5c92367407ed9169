namespace K8sWsProxy.Tunnel.Messages;

/// <summary>A new upstream WebSocket after its handshake: its stream, and the bytes it sent after its 101.</summary>
public sealed record UpstreamConnection(Stream Stream, ReadOnlyMemory<byte> Early);
