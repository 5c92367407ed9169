using System.Text.Json;
using K8sWsProxy.Sidecar.Proxying;
using Microsoft.AspNetCore.WebUtilities;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>What the HTTP/1.1 listeners write themselves: error and admin answers (then the connection closes) and the 101.</summary>
internal static class Http1Responses
{
    /// <summary>The JSON error every listener answers with (<see cref="ErrorResponses"/>), 426 with its upgrade hints.</summary>
    public static async Task WriteErrorAsync(Stream client, int status, string error, string? route)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(error, route), ErrorJson.Default.ErrorBody);
        await client.WriteAsync(Complete(status, "application/json", body));
    }

    /// <summary>A whole answer after which the connection closes: head, then body (426 with its upgrade hints).</summary>
    public static byte[] Complete(int status, string contentType, ReadOnlySpan<byte> body)
    {
        var head = StatusLine(status);
        head.Field("Content-Type", contentType);
        head.Append("Content-Length: ");
        head.Append(body.Length);
        head.Append("\r\n");
        if (status == 426)
        {
            head.Append("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        return head.ToArray(body);
    }

    private static HeadWriter StatusLine(int status)
    {
        var head = new HeadWriter();
        head.Append("HTTP/1.1 ");
        head.Append(status);
        head.Append(" ");
        head.Append(ReasonPhrases.GetReasonPhrase(status));
        head.Append("\r\n");
        return head;
    }

    /// <summary>
    /// The upstream's head as it came: its 101, or the status it refused the handshake with, after which the
    /// connection closes (the client's connection is not kept for another request).
    /// </summary>
    public static byte[] Relayed(HttpHead answer)
    {
        var head = StatusLine(answer.Status);
        foreach (var (name, value) in answer.Headers)
        {
            if (answer.Status == 101 || !(name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)))
            {
                head.Field(name, value);
            }
        }

        if (answer.Status != 101)
        {
            head.Append("Connection: close\r\n");
        }

        head.Append("\r\n");
        return head.ToArray();
    }
}
