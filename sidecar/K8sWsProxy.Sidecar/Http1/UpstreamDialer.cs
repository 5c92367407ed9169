using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using K8sWsProxy.Sidecar.Proxying;
using K8sWsProxy.Sidecar.Runtime;
using K8sWsProxy.Sidecar.Upstreams;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>The upstream's side of one handshake attempt: its connection, its answer, and what it sent after the answer.</summary>
internal sealed record UpstreamLeg(Stream Stream, HttpHead Answer, byte[] Extra);

/// <summary>
/// One attempt at an upstream's handshake. HTTP/1.1 endpoints get a socket of our own (TLS over it for wss), the
/// request head, and a strict read of the answer. HTTP/2 endpoints go through the route's HTTP client (extended
/// CONNECT, RFC 8441), whose 2xx is turned into the 101 an HTTP/1.1 client expects.
/// </summary>
internal static class UpstreamDialer
{
    /// <summary>A failure worth trying another endpoint for: the upstream could not be reached or spoken to.</summary>
    public sealed class ConnectException(string message, Exception? inner = null) : Exception(message, inner);

    public static Task<UpstreamLeg> OpenAsync(RouteRuntime route, UpstreamEndpoint endpoint, HttpHead client, RequestTarget target, string? subprotocols, IPAddress clientAddress, string scheme, CancellationToken deadline) =>
        endpoint.HttpVersion == HttpVersion.Version20
            ? OpenHttp2Async(route, endpoint, client, target, subprotocols, clientAddress, scheme, deadline)
            : OpenHttp11Async(route, endpoint, UpstreamRequest.Build(client, target, route, endpoint, subprotocols, clientAddress, scheme), deadline);

    private static async Task<UpstreamLeg> OpenHttp11Async(RouteRuntime route, UpstreamEndpoint endpoint, byte[] request, CancellationToken deadline)
    {
        var stream = await ConnectAsync(route, endpoint, deadline);
        try
        {
            await stream.WriteAsync(request, deadline);
            var answer = await HeadRead.ReadAsync(stream, request: false, deadline);
            if (answer.Head is { } head)
            {
                return new UpstreamLeg(stream, head, answer.Extra);
            }

            throw answer.Error is null
                ? new ConnectException("the upstream closed the connection before answering")
                : new InvalidDataException($"invalid answer: {answer.Error}");
        }
        catch (IOException e) when (!deadline.IsCancellationRequested)
        {
            await stream.DisposeAsync();
            throw new ConnectException(e.Message, e);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    private static async Task<Stream> ConnectAsync(RouteRuntime route, UpstreamEndpoint endpoint, CancellationToken deadline)
    {
        Stream stream;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(deadline))
        {
            connect.CancelAfter(route.ConnectTimeout);
            try
            {
                stream = await ConnectTcpAsync(endpoint.Url.DnsSafeHost, endpoint.Url.Port, connect.Token);
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                throw new ConnectException($"connect timed out after {route.Config.Timeouts.Connect}");
            }
            catch (SocketException e)
            {
                throw new ConnectException(e.Message, e);
            }
        }

        if (endpoint.Tls is { } tls)
        {
            var secure = new SslStream(stream);
            try
            {
                await secure.AuthenticateAsClientAsync(tls, deadline);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
            {
                await secure.DisposeAsync();
                throw new ConnectException($"TLS: {e.Message}", e);
            }
            catch
            {
                await secure.DisposeAsync();
                throw;
            }

            return secure;
        }

        return stream;
    }

    /// <summary>Each address of the host in turn, as <see cref="Socket.ConnectAsync(string, int)"/> does; the last failure if none answers.</summary>
    private static async Task<Stream> ConnectTcpAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host, out var address) ? [address] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        SocketException? failure = null;
        foreach (var candidate in addresses)
        {
            try
            {
                return await SocketStream.ConnectAsync(new IPEndPoint(candidate, port), cancellationToken);
            }
            catch (SocketException e)
            {
                failure = e;
            }
        }

        throw failure ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async Task<UpstreamLeg> OpenHttp2Async(RouteRuntime route, UpstreamEndpoint endpoint, HttpHead client, RequestTarget target, string? subprotocols, IPAddress clientAddress, string scheme, CancellationToken deadline)
    {
        var url = new UriBuilder(endpoint.HttpUrl) { Path = UpstreamRequest.Path(route, endpoint, target), Query = target.Query }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Connect, url) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Protocol = "websocket";
        foreach (var (name, value) in UpstreamRequest.Headers(client, route, subprotocols, clientAddress, scheme))
        {
            // The key belongs to the client's HTTP/1.1 handshake; over HTTP/2 there is none (RFC 8441 section 5).
            if (!name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        // The token given to SendAsync governs the HTTP/2 stream for its whole life: the handshake deadline may
        // cancel it only until the upstream has answered.
        var lifetime = new CancellationTokenSource();
        HttpResponseMessage response;
        using (deadline.Register(lifetime.Cancel))
        {
            try
            {
                response = await route.Client.SendAsync(request, lifetime.Token);
            }
            catch (HttpRequestException e)
            {
                throw new ConnectException(e.GetBaseException().Message, e);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new OperationCanceledException(deadline);
            }
        }

        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)))
            .ToList();
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsByteArrayAsync(deadline);
            response.Dispose();
            headers.Add(new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return new UpstreamLeg(Stream.Null, new HttpHead { Status = (int)response.StatusCode, Headers = headers }, body);
        }

        headers.RemoveAll(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase));
        headers.InsertRange(0, [new("Upgrade", "websocket"), new("Connection", "Upgrade"), new("Sec-WebSocket-Accept", WebSocketHandshake.Accept(client["Sec-WebSocket-Key"]!))]);
        return new UpstreamLeg(await response.Content.ReadAsStreamAsync(deadline), new HttpHead { Status = 101, Headers = headers }, []);
    }
}
