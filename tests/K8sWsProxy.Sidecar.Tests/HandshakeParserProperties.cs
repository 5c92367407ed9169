using CsCheck;
using K8sWsProxy.Sidecar.Http1;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// Property tests of the handshake (HTTP/1.1 head) parser: a valid head is read back exactly however the bytes
/// arrive, with whatever follows it left alone; a head bent the ways request smuggling bends heads is refused;
/// any bytes at all end in a verdict, never an exception. `make fuzz` runs them for minutes (CsCheck_Time).
/// </summary>
public sealed class HandshakeParserProperties
{
    private const string TokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";

    private static readonly Gen<string> Token = Gen.String[Gen.Char[TokenChars], 1, 24];

    // Visible ASCII with inner spaces and tabs; the parser trims the ends, so values are generated without them.
    private static readonly Gen<string> Value = Gen.String[Gen.Char[string.Concat(Enumerable.Range('!', '~' - '!' + 1).Select(c => (char)c)) + " \t"], 0, 40]
        .Select(v => v.Trim(' ', '\t'));

    private static readonly Gen<string> Target = Gen.String[Gen.Char['!', '~'], 1, 80].Select(t => "/" + t);

    private static readonly Gen<(string Method, string Target, List<(string Name, string Value)> Headers)> Heads =
        Gen.Select(Token, Target, Gen.Select(Token, Value).List[0, 30]);

    private static byte[] Render(string method, string target, IEnumerable<(string Name, string Value)> headers, string separator = ": ") =>
        Encoding.Latin1.GetBytes($"{method} {target} HTTP/1.1\r\n{string.Concat(headers.Select(h => $"{h.Name}{separator}{h.Value}\r\n"))}\r\n");

    [Fact]
    public void A_valid_head_is_read_back_exactly_from_any_prefix_and_with_anything_after_it() =>
        Gen.Select(Heads, Gen.Byte.Array[0, 64]).Sample((head, after) =>
        {
            var bytes = Render(head.Method, head.Target, head.Headers);
            for (var cut = 0; cut < bytes.Length; cut++)
            {
                Assert.Equal(HttpHeadParser.Result.Incomplete, HttpHeadParser.TryParse(bytes.AsSpan(0, cut), request: true, out _, out _, out _));
            }

            var result = HttpHeadParser.TryParse([.. bytes, .. after], request: true, out var parsed, out var length, out var error);
            Assert.True(result == HttpHeadParser.Result.Complete, error);
            Assert.Equal(bytes.Length, length);
            Assert.Equal((head.Method, head.Target, "HTTP/1.1"), (parsed!.Method, parsed.Target, parsed.Version));
            Assert.Equal(head.Headers.Select(h => KeyValuePair.Create(h.Name, h.Value)), parsed.Headers);
        });

    [Fact]
    public void A_head_bent_the_way_smuggling_bends_it_is_refused() =>
        Gen.Select(Heads, Gen.Int[0, 5], Token, Value).Sample((head, bend, name, value) =>
        {
            var line = bend switch
            {
                0 => $"{name}: {value}\nX-Smuggled: 1",      // a bare LF inside the head
                1 => $"{name} : {value}",                    // whitespace before the colon
                2 => $" {name}: {value}",                    // an obsolete folded line
                3 => $"{name}: {value}\u0001",               // a control character in a value
                4 => $"{name}{value.Replace(":", "", StringComparison.Ordinal)}", // no colon at all
                _ => $"{name}\u007F: {value}",               // a name that is not a token
            };
            var bytes = Render(head.Method, head.Target, [.. head.Headers, (line, "")], separator: "");
            Assert.Equal(HttpHeadParser.Result.Invalid, HttpHeadParser.TryParse(bytes, request: true, out _, out _, out var error));
            Assert.False(string.IsNullOrEmpty(error));
        });

    [Fact]
    public void A_request_target_with_a_byte_past_ASCII_is_refused() =>
        Gen.Select(Heads, Gen.Int[1, 80], Gen.Char['\u0080', '\u00FF']).Sample((head, at, c) =>
        {
            // Read as ASCII the byte became '?': a query the client never sent, forwarded (found by make fuzz-afl).
            var target = head.Target.Insert(Math.Min(at, head.Target.Length), c.ToString());
            Assert.Equal(HttpHeadParser.Result.Invalid, HttpHeadParser.TryParse(Render(head.Method, target, head.Headers), request: true, out _, out _, out var error));
            Assert.Equal("malformed request line", error);
        });

    [Fact]
    public void Too_many_fields_or_too_many_bytes_are_refused() =>
        Gen.Select(Heads, Gen.Int[HttpHeadParser.MaxHeaders + 1, HttpHeadParser.MaxHeaders + 50]).Sample((head, count) =>
        {
            var many = Render(head.Method, head.Target, Enumerable.Range(0, count).Select(i => ($"X-{i}", "v")));
            Assert.Equal(HttpHeadParser.Result.Invalid, HttpHeadParser.TryParse(many, request: true, out _, out _, out _));
            var large = Render(head.Method, head.Target, [("X-Large", new string('a', HttpHeadParser.MaxHeadBytes))]);
            Assert.Equal(HttpHeadParser.Result.Invalid, HttpHeadParser.TryParse(large, request: true, out _, out _, out _));
            // Without an end in sight, the parser stops waiting at the limit.
            Assert.Equal(HttpHeadParser.Result.Invalid, HttpHeadParser.TryParse(large.AsSpan(0, HttpHeadParser.MaxHeadBytes), request: true, out _, out _, out _));
        });

    [Fact]
    public void Any_bytes_end_in_a_verdict_never_an_exception() =>
        Gen.Frequency(
            (3, Gen.Byte.Array[0, 2000]),
            (1, Gen.Select(Heads, Gen.Int[0, 4000], Gen.Byte).Select((head, at, b) =>
            {
                // A valid head with one byte changed: the interesting neighbourhood.
                var bytes = Render(head.Method, head.Target, head.Headers);
                bytes[at % bytes.Length] = b;
                return bytes;
            }))).Sample(bytes =>
            {
                foreach (var request in new[] { true, false })
                {
                    var result = HttpHeadParser.TryParse(bytes, request, out var head, out var length, out var error);
                    Assert.True(result != HttpHeadParser.Result.Complete || (head is not null && length <= bytes.Length), "a complete head within the data");
                    Assert.True(result != HttpHeadParser.Result.Invalid || error is not null, "an invalid head says why");
                }
            });
}
