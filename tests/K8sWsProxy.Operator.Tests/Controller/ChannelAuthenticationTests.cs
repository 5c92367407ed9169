using System.Net;
using System.Net.WebSockets;
using K8sWsProxy.Contracts.Channel;
using K8sWsProxy.Testing;
using Microsoft.Extensions.Time.Testing;

namespace K8sWsProxy.Operator.Tests.Controller;

/// <summary>A sidecar pod's token opens the channel only while it is valid: once expired, the same token is refused.</summary>
public sealed class ChannelAuthenticationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private InProcessOperators _operators = null!;

    public async Task InitializeAsync() => _operators = await InProcessOperators.StartAsync(_clock);

    public async Task DisposeAsync() => await _operators.DisposeAsync();

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var (tls, _) = await _operators.StartOperatorAsync(o => o);
        var pod = await _operators.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "chat-0", Labels = new Dictionary<string, string> { ["k8swsproxy.io/sidecar"] = "true" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app" }] },
        }, "default");
        var token = (await _operators.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = [ChannelProtocol.Audience],
                ExpirationSeconds = 600,
                BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            },
        }, "default", "default")).Status.Token;
        var channel = new Uri($"wss://{tls.Authority}{ChannelProtocol.Path}");

        // Valid: the channel opens (the operator may need a moment to see the pod).
        await Poll.UntilAsync(async () => await StatusAsync(channel, token) == HttpStatusCode.SwitchingProtocols, "the pod's token to open the channel", TimeSpan.FromSeconds(10));

        // Past its expiry, and past the operator's 10 s review cache: refused.
        _clock.Advance(TimeSpan.FromSeconds(601));
        await Poll.UntilAsync(async () => await StatusAsync(channel, token) == HttpStatusCode.Unauthorized, "the expired token to be refused", TimeSpan.FromSeconds(20));
    }

    /// <summary>101 when the channel opened (then closed again), else the refusal's status.</summary>
    private async Task<HttpStatusCode> StatusAsync(Uri channel, string token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = _operators.Trusts;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(channel, timeout.Token);
            socket.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }
}
