using System.Buffers;
using System.Globalization;
using System.Text;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// Builds an HTTP/1.1 head as Latin-1 bytes in a pooled buffer: a handshake then leaves one array of the head's
/// length behind, not a string builder's chunks, a string and the array.
/// </summary>
internal ref struct HeadWriter
{
    private byte[] _buffer;
    private int _length;

    public HeadWriter()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(1024);
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        var needed = Encoding.Latin1.GetByteCount(text);
        if (_length + needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + needed));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        _length += Encoding.Latin1.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void Append(int number)
    {
        Span<char> digits = stackalloc char[11];
        number.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        Append(digits[..written]);
    }

    /// <summary>One header field and its line end.</summary>
    public void Field(string name, string value)
    {
        Append(name);
        Append(": ");
        Append(value);
        Append("\r\n");
    }

    /// <summary>The head (after <paramref name="body"/>, if any); the writer is spent.</summary>
    public byte[] ToArray(ReadOnlySpan<byte> body = default)
    {
        var bytes = new byte[_length + body.Length];
        _buffer.AsSpan(0, _length).CopyTo(bytes);
        body.CopyTo(bytes.AsSpan(_length));
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        return bytes;
    }
}
