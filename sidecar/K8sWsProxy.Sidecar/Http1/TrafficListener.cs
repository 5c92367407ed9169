using System.ComponentModel;
using System.Net;
using System.Net.Sockets;

namespace K8sWsProxy.Sidecar.Http1;

/// <summary>
/// A listening socket that hands each accepted connection to <paramref name="serve"/>: the plain listener serves
/// them with <see cref="Http1Proxy"/>, the TLS listener with <see cref="TlsFront"/>, the admin port with
/// <see cref="Admin.AdminServer"/>. Stopping closes the listening
/// socket and waits for the connections it started (the shutdown drain has closed their WebSockets).
/// </summary>
internal sealed class TrafficListener(IPEndPoint endpoint, Func<Socket, Task> serve, ILogger logger) : IHostedService
{
    private readonly Socket _socket = new(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;
    private int _open = 1; // the accept loop holds one count until it ends

    /// <summary>Where it listens, once started (the port the system chose when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endpoint);
        _socket.Listen(1024);
        _accepting = AcceptLoopAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _socket.Dispose();
        await _accepting;
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _socket.AcceptAsync();
                }
                catch (SocketException e) when (e.SocketErrorCode is not SocketError.OperationAborted)
                {
                    // Out of descriptors, or a client gone before it was accepted: the listener keeps going.
                    Log.AcceptFailed(logger, e.Message);
                    await Task.Delay(10);
                    continue;
                }

                client.NoDelay = true;
                Interlocked.Increment(ref _open);
                Task serving;
                try
                {
                    serving = serve(client);
                }
                catch (Exception e) when (e is IOException or Win32Exception)
                {
                    // The socket could not be set up for serving (its descriptor, the reactor): this connection only.
                    // Its stream took the descriptor and closed it; the Socket object must not be disposed after that.
                    Log.AcceptFailed(logger, e.Message);
                    serving = Task.CompletedTask;
                }

                _ = ServeAsync(serving);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted })
        {
            // Stopped.
        }
        finally
        {
            Release();
        }
    }

    // Takes the serving task, not the socket: a frame that held the socket would keep it (and its cached addresses)
    // for the connection's life.
    private async Task ServeAsync(Task serving)
    {
        try
        {
            await serving;
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _open) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
