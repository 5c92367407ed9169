using K8sWsProxy.Operator.Hosting;
using Microsoft.AspNetCore.Connections;

namespace K8sWsProxy.Operator.Channel;

/// <summary>
/// At most <see cref="OperatorOptions.MaxChannelConnections"/> open connections on the TLS listener (the channel and
/// the webhook): one more is closed before its TLS handshake, counted, and logged through the refusal log, so a
/// flood of idle connections costs neither memory nor log lines beyond the cap.
/// </summary>
internal sealed class ConnectionCap(OperatorOptions options, RefusalLog refusals)
{
    private int _open;
    private long _refused;

    public int Open => Volatile.Read(ref _open);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Kestrel connection middleware for the TLS listener, placed before UseHttps.</summary>
    public ConnectionDelegate Guard(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _open) > options.MaxChannelConnections)
        {
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _refused);
            refusals.Refused(connection.RemoteEndPoint?.ToString() ?? "?", StatusCodes.Status503ServiceUnavailable,
                $"the channel's connection cap ({options.MaxChannelConnections}) is reached; connection closed");
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    };
}
