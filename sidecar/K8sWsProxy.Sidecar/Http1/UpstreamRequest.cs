using System.Net;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// The handshake request sent to an HTTP/1.1 upstream: the client's headers less hop-by-hop ones, the endpoint's
/// host and path, X-Forwarded-For/-Proto/-Host appended to what earlier proxies set, the route's header changes,
/// and the filtered subprotocol list.
/// </summary>
internal static class UpstreamRequest
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length",
    };

    /// <summary>The request head for an HTTP/1.1 endpoint.</summary>
    public static byte[] Build(HttpHead client, RequestTarget target, RouteRuntime route, UpstreamEndpoint endpoint, string? subprotocols, IPAddress clientAddress, string scheme)
    {
        var head = new HeadWriter();
        head.Append("GET ");
        head.Append(Path(route, endpoint, target));
        head.Append(target.Query);
        head.Append(" HTTP/1.1\r\n");
        head.Field("Host", endpoint.HttpUrl.Authority);
        head.Append("Connection: Upgrade\r\nUpgrade: websocket\r\n");
        foreach (var (name, value) in Headers(client, route, subprotocols, clientAddress, scheme))
        {
            head.Field(name, value);
        }

        head.Append("\r\n");
        return head.ToArray();
    }

    public static string Path(RouteRuntime route, UpstreamEndpoint endpoint, RequestTarget target) =>
        UpstreamPath.For(route.Config.Match, endpoint.HttpUrl.AbsolutePath, target.Path);

    /// <summary>Every header field for the upstream but Host, Connection and Upgrade.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Headers(HttpHead client, RouteRuntime route, string? subprotocols, IPAddress clientAddress, string scheme)
    {
        foreach (var field in client.Headers)
        {
            if (!HopByHop.Contains(field.Key) && !client.HasToken("Connection", field.Key) && !Replaced(route, field.Key, subprotocols))
            {
                yield return field;
            }
        }

        foreach (var field in Added(client.Joined, route, subprotocols, clientAddress, scheme))
        {
            yield return field;
        }
    }

    /// <summary>
    /// What the proxy adds to the client's headers (which lose those it replaces: <see cref="Replaced"/>):
    /// X-Forwarded-For/-Proto/-Host after earlier proxies' values, the filtered subprotocols, the route's values.
    /// </summary>
    /// <param name="client">The client's values of a header, comma-joined; null when it sent none.</param>
    public static IEnumerable<KeyValuePair<string, string>> Added(Func<string, string?> client, RouteRuntime route, string? subprotocols, IPAddress clientAddress, string scheme)
    {
        var headers = route.Config.Headers;
        if (!Changed(headers, "X-Forwarded-For"))
        {
            var address = clientAddress.IsIPv4MappedToIPv6 ? clientAddress.MapToIPv4() : clientAddress;
            yield return Appended("X-Forwarded-For", client("X-Forwarded-For"), address.ToString());
        }

        if (!Changed(headers, "X-Forwarded-Proto"))
        {
            yield return Appended("X-Forwarded-Proto", client("X-Forwarded-Proto"), scheme);
        }

        if (!Changed(headers, "X-Forwarded-Host"))
        {
            yield return Appended("X-Forwarded-Host", client("X-Forwarded-Host"), client("Host") ?? "");
        }

        if (subprotocols is not null)
        {
            yield return new("Sec-WebSocket-Protocol", subprotocols);
        }

        foreach (var field in headers.Set)
        {
            yield return field;
        }
    }

    /// <summary>
    /// Client headers the upstream does not get as they came: the route changes them, or the proxy appends to them.
    /// A route that reads messages offers no extensions: compressed messages could not be read, nor carried over to
    /// another upstream.
    /// </summary>
    public static bool Replaced(RouteRuntime route, string name, string? subprotocols) =>
        IsForwarded(name) || Changed(route.Config.Headers, name) || (subprotocols is not null && name.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
        || (route.Messages is not null && name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase));

    // Asked for every header of every handshake: plain loops, no closures.
    private static bool Changed(HeadersConfig headers, string name)
    {
        foreach (var removed in headers.Remove)
        {
            if (removed.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var set in headers.Set.Keys)
        {
            if (set.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Our value after earlier proxies' (unless the route sets or removes the header itself).</summary>
    private static KeyValuePair<string, string> Appended(string name, string? earlier, string value) =>
        new(name, string.IsNullOrEmpty(earlier) ? value : $"{earlier}, {value}");

    private static bool IsForwarded(string name) =>
        name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase);
}
