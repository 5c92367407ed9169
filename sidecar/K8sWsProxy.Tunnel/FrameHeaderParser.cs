using System.Buffers.Binary;

namespace K8sWsProxy.Tunnel;

/// <summary>
/// Collects one RFC 6455 frame header from chunks of any size (a header may be split across writes)
/// and decodes it once complete. Keeps its own copy (at most 14 bytes) so a split header can still be forwarded.
/// </summary>
internal sealed class FrameHeaderParser
{
    public const int MaxLength = 2 + 8 + 4;

    private readonly byte[] _bytes = new byte[MaxLength];
    private int _count;
    private int _needed = 2;

    public bool IsEmpty => _count == 0;

    public bool IsComplete { get; private set; }

    /// <summary>Header length in bytes, valid once complete.</summary>
    public int Length => _count;

    public ReadOnlyMemory<byte> Bytes => _bytes.AsMemory(0, _count);

    public bool Fin => (_bytes[0] & 0x80) != 0;

    public int Rsv => _bytes[0] & 0x70;

    public int Opcode => _bytes[0] & 0x0F;

    public bool Masked => (_bytes[1] & 0x80) != 0;

    /// <summary>Payload length; -1 when a 64-bit length has its most significant bit set (forbidden).</summary>
    public long PayloadLength { get; private set; }

    /// <summary>Consumes header bytes from the start of <paramref name="data"/>; returns how many it took.</summary>
    public int Feed(ReadOnlySpan<byte> data)
    {
        var consumed = 0;
        while (!IsComplete && consumed < data.Length)
        {
            _bytes[_count++] = data[consumed++];
            if (_count == 2)
            {
                var length7 = _bytes[1] & 0x7F;
                _needed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (Masked ? 4 : 0);
            }

            if (_count == _needed)
            {
                IsComplete = true;
                PayloadLength = DecodeLength();
            }
        }

        return consumed;
    }

    public void Reset()
    {
        _count = 0;
        _needed = 2;
        IsComplete = false;
    }

    private long DecodeLength()
    {
        var length7 = _bytes[1] & 0x7F;
        if (length7 < 126)
        {
            return length7;
        }

        if (length7 == 126)
        {
            return BinaryPrimitives.ReadUInt16BigEndian(_bytes.AsSpan(2));
        }

        var length64 = BinaryPrimitives.ReadUInt64BigEndian(_bytes.AsSpan(2));
        return length64 > long.MaxValue ? -1 : (long)length64;
    }
}
