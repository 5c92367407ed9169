using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// Kestrel's transport for the TLS connections whose client chose HTTP/2: WebSockets over HTTP/2 (RFC 8441) are
/// served by Kestrel and YARP's forwarder, so our own data plane only ever speaks HTTP/1.1. Kestrel binds
/// <see cref="EndPoint"/>, and accepts what <see cref="ServeAsync"/> hands it, already decrypted.
/// </summary>
internal sealed class Http2Handoff : IConnectionListenerFactory, IConnectionListenerFactorySelector, IConnectionListener
{
    private readonly Channel<ConnectionContext> _accepted = System.Threading.Channels.Channel.CreateUnbounded<ConnectionContext>();

    /// <summary>The endpoint Kestrel listens on: nothing in the network, just this handoff.</summary>
    public static EndPoint Endpoint { get; } = new HandoffEndPoint();

    EndPoint IConnectionListener.EndPoint => Endpoint;

    /// <summary>Hands a TLS connection (h2 negotiated) to Kestrel; completes once Kestrel is done with it.</summary>
    public Task ServeAsync(SslStream tls, EndPoint? local, EndPoint? remote)
    {
        var connection = new HandoffConnection(tls) { LocalEndPoint = local, RemoteEndPoint = remote };
        return _accepted.Writer.TryWrite(connection) ? connection.Closed : Task.CompletedTask;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is HandoffEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) => ValueTask.FromResult<IConnectionListener>(this);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) =>
        await _accepted.Reader.WaitToReadAsync(cancellationToken) && _accepted.Reader.TryRead(out var connection) ? connection : null;

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        return default;
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    private sealed class HandoffEndPoint : EndPoint
    {
        public override string ToString() => "tls-h2-handoff";
    }

    /// <summary>
    /// A decrypted connection as Kestrel sees one: the TLS features make its requests https and tell Kestrel which
    /// protocol ALPN chose.
    /// </summary>
    private sealed class HandoffConnection : DefaultConnectionContext, ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        private readonly SslStream _tls;
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HandoffConnection(SslStream tls)
        {
            _tls = tls;
            Transport = new DuplexPipe(PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true)));
            Features.Set<ITlsConnectionFeature>(this);
            Features.Set<ITlsApplicationProtocolFeature>(this);
        }

        public ReadOnlyMemory<byte> ApplicationProtocol => SslApplicationProtocol.Http2.Protocol;

        public Task Closed => _closed.Task;

        public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; }

        public Task<System.Security.Cryptography.X509Certificates.X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

        public override void Abort(ConnectionAbortedException abortReason)
        {
            base.Abort(abortReason);
            _tls.Dispose();
        }

        public override async ValueTask DisposeAsync()
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            await base.DisposeAsync();
            _closed.TrySetResult();
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
