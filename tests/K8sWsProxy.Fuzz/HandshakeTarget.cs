using System.Text;
using K8sWsProxy.Sidecar.Http1;

namespace K8sWsProxy.Fuzz;

/// <summary>
/// The handshake parser, on the input as a request head and as a response head: a verdict, never an exception; a
/// complete head ends within the data and not a byte earlier, and holds exactly what was sent (what the proxy checks
/// and forwards is what the client wrote).
/// </summary>
internal static class HandshakeTarget
{
    public static void Run(byte[] input)
    {
        foreach (var request in new[] { true, false })
        {
            var result = HttpHeadParser.TryParse(input, request, out var head, out var length, out var error);
            if (result == HttpHeadParser.Result.Invalid && error is null)
            {
                throw new InvalidOperationException("an invalid head without a reason");
            }

            if (result != HttpHeadParser.Result.Complete)
            {
                continue;
            }

            if (head is null || length < 4 || length > input.Length)
            {
                throw new InvalidOperationException($"complete with length {length} of {input.Length}");
            }

            if (HttpHeadParser.TryParse(input.AsSpan(0, length - 1), request, out _, out _, out _) != HttpHeadParser.Result.Incomplete)
            {
                throw new InvalidOperationException("complete before its empty line");
            }

            // Latin-1 maps each byte to one character and back: the sent lines, to compare the parsed head with.
            var lines = Encoding.Latin1.GetString(input, 0, length - 4).Split("\r\n");
            var startLine = request ? $"{head.Method} {head.Target} {head.Version}" : $"{head.Version} {head.Status:D3}";
            var fields = lines[1..].Select(line => line.Split(':', 2) is [var name, var value] ? KeyValuePair.Create(name, value.Trim(' ', '\t')) : default);
            if (!(request ? lines[0] == startLine : lines[0].StartsWith(startLine, StringComparison.Ordinal)) || !fields.SequenceEqual(head.Headers))
            {
                throw new InvalidOperationException($"read as {startLine} | {string.Join(" | ", head.Headers)}, not as sent");
            }
        }
    }
}
