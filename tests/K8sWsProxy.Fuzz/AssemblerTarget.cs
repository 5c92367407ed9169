using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Fuzz;

/// <summary>
/// The message stage's assembler, fed the input whole and then in small chunks: the units it gives back must not
/// depend on how the bytes arrived (passed-through bytes joined), every call must make progress, and no more bytes may
/// come out than went in.
/// </summary>
internal static class AssemblerTarget
{
    private static readonly int[] Chunks = [1, 7, 100];

    // Small, so that messages both fit and overflow it.
    private const int MaxMessageBytes = 64;

    public static void Run(byte[] input)
    {
        var (whole, bytesOut) = Units(input, chunked: false);
        var (chunked, _) = Units(input, chunked: true);
        if (!whole.SequenceEqual(chunked))
        {
            throw new InvalidOperationException($"whole: {string.Join(' ', whole)}; in chunks: {string.Join(' ', chunked)}");
        }

        if (bytesOut > input.Length)
        {
            throw new InvalidOperationException($"{bytesOut} bytes out of {input.Length}");
        }
    }

    /// <summary>The units as text (kind, opcode, raw bytes, payload), consecutive passthrough bytes joined; their raw bytes.</summary>
    private static (List<string> Units, long BytesOut) Units(byte[] input, bool chunked)
    {
        var assembler = new MessageAssembler(MaxMessageBytes);
        var units = new List<string>();
        var passed = new List<byte>();
        var bytesOut = 0L;
        for (int position = 0, i = 0; position < input.Length; i++)
        {
            var chunk = input.AsMemory(position, chunked ? Math.Min(Chunks[i % Chunks.Length], input.Length - position) : input.Length);
            position += chunk.Length;
            for (var used = 0; used < chunk.Length;)
            {
                var unit = assembler.Next(chunk[used..], out var consumed);
                if (consumed <= 0 && unit == UnitKind.NeedMore)
                {
                    throw new InvalidOperationException($"no progress at {position - chunk.Length + used}");
                }

                used += consumed;
                if (unit == UnitKind.NeedMore)
                {
                    continue;
                }

                bytesOut += assembler.Raw.Length;
                if (unit == UnitKind.Passthrough)
                {
                    passed.AddRange(assembler.Raw.Span);
                    continue;
                }

                if (passed.Count != 0)
                {
                    units.Add(Convert.ToHexString([.. passed]));
                    passed.Clear();
                }

                units.Add($"{unit}:{assembler.Opcode}:{Convert.ToHexString(assembler.Raw.Span)}:{Convert.ToHexString(assembler.Payload.Span)}");
            }
        }

        if (passed.Count != 0)
        {
            units.Add(Convert.ToHexString([.. passed]));
        }

        return (units, bytesOut);
    }
}
