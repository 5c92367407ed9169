namespace K8sWsProxy.Tunnel;

/// <summary>RFC 6455 frame opcodes: the ones the tunnel acts on, and the benchmark's load generator sends and reads.</summary>
public static class Opcode
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;
}
