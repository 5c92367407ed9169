using CsCheck;
using K8sWsProxy.Tunnel.Messages;

namespace K8sWsProxy.Tunnel.Tests;

/// <summary>
/// Property tests of the frame tracker (the relay's write path into memory): any valid frame sequence, split at any
/// points and with control frames between fragments, arrives byte-identical and is counted message by message; any
/// invalid frame after a valid prefix ends in a 1002 (or 1009 past the size limit) towards the sender, with the
/// prefix delivered and nothing of the bad frame, never in an exception or a hang. `make test` runs CsCheck's
/// default number of cases; `make fuzz` runs them for minutes (CsCheck_Time). Inputs that once broke a property, and
/// hand-made edge cases, are in corpus/frames and replayed every run.
/// </summary>
public sealed class FrameProperties
{
    private const int MaxMessageBytes = 200_000;

    /// <summary>A data message as its frames: opcode, fragments, and pings or pongs after any fragment.</summary>
    private sealed record Message(bool Text, byte[][] Fragments, (int After, bool Ping, byte[] Payload)[] Controls)
    {
        public long PayloadBytes => Fragments.Sum(f => (long)f.Length);

        public IEnumerable<byte[]> Frames()
        {
            for (var i = 0; i < Fragments.Length; i++)
            {
                yield return RawFrames.Build(i == 0 ? (Text ? 0x1 : 0x2) : 0x0, Fragments[i], mask: true, fin: i == Fragments.Length - 1);
                foreach (var control in Controls.Where(c => c.After == i))
                {
                    yield return RawFrames.Build(control.Ping ? RawFrames.Ping : RawFrames.Pong, control.Payload, mask: true);
                }
            }
        }
    }

    private static readonly Gen<byte[]> Payload = Gen.Frequency(
        (20, Gen.Byte.Array[0, 200]),
        (2, Gen.Byte.Array[126, 2000]),
        (1, Gen.Byte.Array[65_536, 70_000]));

    private static readonly Gen<Message> Messages =
        Gen.Select(Gen.Bool, Payload.Array[1, 4], Gen.Select(Gen.Int[0, 3], Gen.Bool, Gen.Byte.Array[0, 125]).Array[0, 3],
            (text, fragments, controls) => new Message(text, fragments, controls));

    /// <summary>Cut points: chunk sizes, the last chunk takes the rest.</summary>
    private static readonly Gen<int[]> Chunks = Gen.Frequency((3, Gen.Int[1, 16]), (2, Gen.Int[17, 4096]), (1, Gen.Int[4097, 100_000])).Array[0, 12];

    /// <summary>Frames no peer may send; each applies whatever the message state before it.</summary>
    private static readonly (string Name, byte[] Frame)[] AlwaysInvalid =
    [
        ("unmasked data frame", RawFrames.Build(0x2, "x"u8, mask: false)),
        ("fragmented ping", RawFrames.Build(RawFrames.Ping, "p"u8, mask: true, fin: false)),
        ("control payload over 125", RawFrames.Build(RawFrames.Pong, new byte[126], mask: true)),
        ("close with a 1-byte payload", RawFrames.Build(RawFrames.Close, [3], mask: true)),
        ("continuation without a message", RawFrames.Build(0x0, "c"u8, mask: true)),
        ("reserved data opcode", RawFrames.Build(0x3, "r"u8, mask: true)),
        ("reserved control opcode", RawFrames.Build(0xB, "r"u8, mask: true)),
        ("RSV2 set", RawFrames.Build(0x2, "r"u8, mask: true, rsv: 0x20)),
        ("RSV3 set", RawFrames.Build(0x1, "r"u8, mask: true, rsv: 0x10)),
        ("64-bit length with its top bit set", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]),
    ];

    [Fact]
    public void Any_valid_frame_sequence_split_anywhere_arrives_byte_identical() =>
        Gen.Select(Messages.Array[1, 6], Chunks).Sample((messages, chunks) =>
        {
            var input = messages.SelectMany(m => m.Frames()).SelectMany(f => f).ToArray();
            var (toUpstream, toClient, counters) = MemoryRelay.Run(input, chunks, maxMessageBytes: 0);
            Assert.Equal(input, toUpstream);
            Assert.Empty(toClient);
            Assert.Equal((messages.Length, messages.Sum(m => m.PayloadBytes)), (counters.Messages, counters.Bytes));
        });

    [Fact]
    public void An_invalid_frame_after_a_valid_prefix_ends_in_1002_with_the_prefix_delivered() =>
        Gen.Select(Messages.Array[0, 3], Gen.Int[0, AlwaysInvalid.Length - 1], Chunks).Sample((messages, which, chunks) =>
        {
            var prefix = messages.SelectMany(m => m.Frames()).SelectMany(f => f).ToArray();
            var (name, bad) = AlwaysInvalid[which];
            var valid = RawFrames.Build(0x1, "after"u8, mask: true);
            AssertRefused([.. prefix, .. bad, .. valid], prefix.Length, chunks, 1002, name);
        });

    [Fact]
    public void A_new_message_inside_a_fragmented_one_ends_in_1002() =>
        Gen.Select(Payload, Gen.Bool, Chunks).Sample((first, text, chunks) =>
        {
            var open = RawFrames.Build(0x2, first, mask: true, fin: false);
            AssertRefused([.. open, .. RawFrames.Build(text ? 0x1 : 0x2, "x"u8, mask: true)], open.Length, chunks, 1002, "data frame inside a message");
        });

    [Fact]
    public void A_message_over_the_limit_ends_in_1009_before_its_first_byte_over() =>
        Gen.Select(Gen.Int[1, 8], Gen.Int[MaxMessageBytes / 8, MaxMessageBytes / 2], Chunks).Sample((fragments, size, chunks) =>
        {
            // Fragments of equal size until the limit is crossed: the frame that crosses it is not forwarded.
            var frames = Enumerable.Range(0, fragments + 8).Select(i => RawFrames.Build(i == 0 ? 0x2 : 0x0, new byte[size], mask: true, fin: false)).ToArray();
            var forwarded = (int)(MaxMessageBytes / size);
            var delivered = frames.Take(forwarded).Sum(f => f.Length);
            AssertRefused(frames.SelectMany(f => f).ToArray(), delivered, chunks, 1009, "too big", MaxMessageBytes);
        });

    /// <summary>
    /// The message stage's assembler, fed any valid sequence split anywhere: each message up to the limit comes out
    /// once, whole, its payload unmasked; each larger one passes through in pieces, the last marked; control frames come
    /// out as they complete. Data bytes keep their order, as do control frames. The payload, joined when first read, is
    /// the fragments' bytes unmasked; reading it leaves the frames as they were.
    /// </summary>
    [Fact]
    public void The_message_assembler_gives_back_every_message_whole_or_passed_through() =>
        Gen.Select(Messages.Array[1, 6], Chunks, Gen.Int[0, 80_000], Gen.Bool).Sample((messages, chunks, limit, readPayloads) =>
        {
            var frames = messages.SelectMany(m => m.Frames()).ToArray(); // once: each enumeration masks anew
            var input = frames.SelectMany(f => f).ToArray();
            var assembler = new MessageAssembler(limit);
            var data = new List<byte>();
            var controls = new List<byte>();
            var whole = new List<(int Opcode, byte[] Payload)>();
            var passedThrough = 0;
            foreach (var chunk in MemoryRelay.Split(input, chunks))
            {
                for (var pos = 0; pos < chunk.Length;)
                {
                    var unit = assembler.Next(chunk.AsMemory(pos), out var used);
                    pos += used;
                    switch (unit)
                    {
                        case UnitKind.Message:
                            // Payloads are joined only when read: a message left unread must not disturb the next.
                            whole.Add((assembler.Opcode, readPayloads ? assembler.Payload.ToArray() : []));
                            Assert.Equal(whole[^1].Payload.Length, readPayloads ? assembler.PayloadLength : 0);
                            data.AddRange(assembler.Raw.ToArray());
                            break;
                        case UnitKind.Control:
                            controls.AddRange(assembler.Raw.ToArray());
                            break;
                        case UnitKind.Passthrough:
                            data.AddRange(assembler.Raw.ToArray());
                            passedThrough += assembler.EndsMessage ? 1 : 0;
                            break;
                    }
                }
            }

            var small = messages.Where(m => m.PayloadBytes <= limit).ToArray();
            Assert.Equal(small.Select(m => (m.Text ? 0x1 : 0x2, readPayloads ? m.Fragments.SelectMany(f => f).ToArray() : [])), whole);
            Assert.Equal(messages.Length - small.Length, passedThrough);
            Assert.Equal(frames.Where(f => (f[0] & 0x08) == 0).SelectMany(f => f), data);
            Assert.Equal(frames.Where(f => (f[0] & 0x08) != 0).SelectMany(f => f), controls);
            Assert.False(assembler.InMessage);
        });

    [Fact]
    public void The_corpus_replays()
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "corpus", "frames");
        var files = Directory.GetFiles(corpus, "*.bin");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            // Each file names its expected close code: valid-*.bin none, 1002-*.bin, 1009-*.bin.
            var input = File.ReadAllBytes(file);
            var (toUpstream, toClient, _) = MemoryRelay.Run(input, [1, 7, 100], MaxMessageBytes);
            var name = Path.GetFileName(file);
            if (name.StartsWith("valid-", StringComparison.Ordinal))
            {
                Assert.True(input.AsSpan().SequenceEqual(toUpstream), name);
            }
            else
            {
                Assert.True(MemoryRelay.CloseCode(toClient) == ushort.Parse(name[..4], System.Globalization.CultureInfo.InvariantCulture), name);
            }
        }
    }

    /// <param name="maxMessageBytes">0: no limit (the generated valid prefix may be any size).</param>
    private static void AssertRefused(byte[] input, int validLength, int[] chunks, ushort code, string what, int maxMessageBytes = 0)
    {
        var (toUpstream, toClient, _) = MemoryRelay.Run(input, chunks, maxMessageBytes);
        Assert.True(MemoryRelay.CloseCode(toClient) == code, $"{what}: the sender got {MemoryRelay.CloseCode(toClient)?.ToString() ?? "no close"}, not {code}");
        Assert.True(toUpstream.AsSpan(0, validLength).SequenceEqual(input.AsSpan(0, validLength)), $"{what}: the valid prefix was not delivered as is");
        // After the prefix the receiver gets at most a close frame, never a byte of the bad frame.
        var rest = toUpstream[validLength..];
        Assert.True(rest.Length == 0 || (rest[0] & 0x0F) == RawFrames.Close, $"{what}: {rest.Length} bytes after the prefix that are not a close");
    }
}
