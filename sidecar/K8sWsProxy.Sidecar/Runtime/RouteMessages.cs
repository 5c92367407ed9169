using K8sWsProxy.Contracts.Config;
using K8sWsProxy.Tunnel.Messages;
using TunnelRuleAction = K8sWsProxy.Tunnel.Messages.RuleAction;

namespace K8sWsProxy.Sidecar.Runtime;

/// <summary>A route's message rules and failover as its tunnels run them; validated config in, so nothing here fails.</summary>
internal static class RouteMessages
{
    /// <summary>Null for a route with neither: its messages are relayed as bytes.</summary>
    public static MessageOptions? Compile(RouteConfig config)
    {
        var upstream = config.Upstream;
        if (config.Messages is null && upstream.OnLost != UpstreamLost.Reconnect)
        {
            return null;
        }

        var failover = upstream.Failover ?? new FailoverConfig();
        var messages = config.Messages ?? new MessagesConfig();
        return new MessageOptions
        {
            MaxMessageBytes = messages.MaxBytes,
            Rules = [.. messages.Rules.Select(Rule)],
            Failover = upstream.OnLost != UpstreamLost.Reconnect ? null : new FailoverOptions
            {
                CloseCodes = failover.CloseCodes.ToHashSet(),
                Notify = failover.Notify,
                BufferMessages = failover.BufferMessages,
                BufferBytes = failover.BufferBytes,
                OnBufferFull = failover.OnBufferFull == BufferOverflow.Close ? BufferFull.Close : BufferFull.Drop,
                ReplayFirstMessage = failover.ReplayFirstMessage,
                Attempts = upstream.Retry.Attempts,
                InitialInterval = Duration.Parse(upstream.Retry.InitialInterval),
                Growth = upstream.Retry.Growth,
            },
        };
    }

    private static MessageRule Rule(MessageRuleConfig rule) =>
        new(rule.Name, Directions(rule.Direction), Matcher(rule.Match), Action(rule.Action))
        {
            Text = rule.Text ?? "",
            CloseCode = (ushort)rule.CloseCode,
            CloseReason = rule.CloseReason,
        };

    private static MessageMatcher Matcher(MessageMatchConfig match) =>
        match.Exact is { } exact ? MessageMatcher.Exact(exact)
        : match.Prefix is { } prefix ? MessageMatcher.Prefix(prefix)
        : match.Regex is { } regex ? MessageMatcher.Pattern(regex)
        : MessageMatcher.JsonField(match.Json!.Field, match.Json.Value);

    private static RuleDirections Directions(RuleDirection direction) => direction switch
    {
        RuleDirection.ToClient => RuleDirections.ToClient,
        RuleDirection.Both => RuleDirections.Both,
        _ => RuleDirections.ToUpstream,
    };

    private static TunnelRuleAction Action(Contracts.Config.RuleAction action) => action switch
    {
        Contracts.Config.RuleAction.Drop => TunnelRuleAction.Drop,
        Contracts.Config.RuleAction.Rewrite => TunnelRuleAction.Rewrite,
        Contracts.Config.RuleAction.Close => TunnelRuleAction.Close,
        _ => TunnelRuleAction.Reply,
    };
}
