using System.Net.Security;
using System.Net.Sockets;
using K8sWsProxy.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>
/// The TLS listener holds no more connections than its cap and none for long before they authenticate: a flood
/// of idle connections is turned away before TLS, counted, and cannot outlast the pre-authentication timeout.
/// </summary>
public sealed class ChannelLimitsTests : IAsyncLifetime
{
    private InProcessOperators _operators = null!;

    public async Task InitializeAsync() => _operators = await InProcessOperators.StartAsync();

    public async Task DisposeAsync() => await _operators.DisposeAsync();

    [Fact]
    public async Task Connections_beyond_the_cap_are_closed_before_TLS_and_counted()
    {
        var (tls, health) = await _operators.StartOperatorAsync(o => o with { MaxChannelConnections = 3, PreAuthTimeout = TimeSpan.FromSeconds(30) });
        var held = new List<SslStream>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                held.Add(await HandshakeAsync(tls));
            }

            using var fourth = new TcpClient();
            await fourth.ConnectAsync(tls.Host, tls.Port);
            Assert.Equal(0, await ReadAsync(fourth.GetStream()));
            var metrics = await Scrape.FromAsync(health);
            Assert.Equal(3, metrics.Value("wsproxy_operator_channel_connections"));
            Assert.Equal(1, metrics.Value("wsproxy_operator_channel_connections_refused_total"));

            // A place freed is a place taken again.
            await held[0].DisposeAsync();
            await Poll.UntilAsync(async () => (await Scrape.FromAsync(health)).Value("wsproxy_operator_channel_connections") == 2, "the closed connection to be let go", TimeSpan.FromSeconds(10));
            held[0] = await HandshakeAsync(tls);
        }
        finally
        {
            foreach (var stream in held)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_connection_that_does_not_get_to_a_request_in_time_is_closed()
    {
        var (tls, health) = await _operators.StartOperatorAsync(o => o with { PreAuthTimeout = TimeSpan.FromSeconds(1) });

        // One that never starts TLS, one that finishes it and sends nothing: both closed by the server.
        using var silent = new TcpClient();
        await silent.ConnectAsync(tls.Host, tls.Port);
        await using var idle = await HandshakeAsync(tls);
        Assert.Equal(0, await ReadAsync(silent.GetStream()));
        Assert.Equal(0, await ReadAsync(idle));
        await Poll.UntilAsync(async () => (await Scrape.FromAsync(health)).Value("wsproxy_operator_channel_connections") == 0, "no connection left open", TimeSpan.FromSeconds(10));
    }

    private async Task<SslStream> HandshakeAsync(Uri tls)
    {
        var client = new TcpClient();
        await client.ConnectAsync(tls.Host, tls.Port);
        var stream = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, _operators.Trusts);
        await stream.AuthenticateAsClientAsync("localhost");
        return stream;
    }

    /// <summary>Bytes read before the server closes the connection (0: closed at once, or with nothing to say); bounded in time.</summary>
    private static async Task<int> ReadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[256];
        var total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        return total;
    }
}
