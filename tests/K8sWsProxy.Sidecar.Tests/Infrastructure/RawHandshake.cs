namespace K8sWsProxy.Sidecar.Tests.Infrastructure;

/// <summary>A hand-written HTTP/1.1 request, to see exactly what the proxy answers (status, headers, JSON body).</summary>
public static class RawHandshake
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

    public static Task<Response> SendAsync(Uri uri, bool upgrade = true, params (string Name, string Value)[] headers)
    {
        var request = new StringBuilder();
        request.Append($"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n");
        if (upgrade)
        {
            request.Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        }

        foreach (var (name, value) in headers)
        {
            request.Append($"{name}: {value}\r\n");
        }

        request.Append("\r\n");
        return SendHeadAsync(uri, request.ToString());
    }

    /// <summary>Sends <paramref name="head"/> exactly as given (malformed ones included) and reads the answer.</summary>
    public static async Task<Response> SendHeadAsync(Uri uri, string head)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(Ws.Timeout);
        await client.ConnectAsync(uri.Host, uri.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cts.Token);

        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "connection closed before the response headers");
            received.Write(buffer, 0, n);
        }

        var lines = Encoding.ASCII.GetString(received.GetBuffer(), 0, headerEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var parsed = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = new MemoryStream();
        body.Write(received.GetBuffer(), headerEnd + 4, (int)received.Length - headerEnd - 4);
        if (parsed.TryGetValue("content-length", out var length))
        {
            while (body.Length < int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                Assert.True(n > 0, "connection closed before the whole body");
                body.Write(buffer, 0, n);
            }
        }
        else if (parsed.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (IndexOf(body, "0\r\n\r\n"u8) < 0)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                Assert.True(n > 0, "connection closed before the last chunk");
                body.Write(buffer, 0, n);
            }

            return new Response(status, parsed, Dechunk(body.ToArray()));
        }

        return new Response(status, parsed, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static string Dechunk(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(text[at..lineEnd], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(text, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> needle) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(needle);
}
