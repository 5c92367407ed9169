namespace K8sWsProxy.Tunnel.Messages;

/// <summary>Which way a rule looks at messages.</summary>
[Flags]
public enum RuleDirections
{
    ToUpstream = 1,
    ToClient = 2,
    Both = ToUpstream | ToClient,
}

public enum RuleAction
{
    /// <summary>The message is not forwarded; the sender gets <see cref="MessageRule.Text"/> back.</summary>
    Reply,

    /// <summary>The message is not forwarded.</summary>
    Drop,

    /// <summary>The message is forwarded as <see cref="MessageRule.Text"/> (with a regular expression: its matches replaced).</summary>
    Rewrite,

    /// <summary>Both peers are closed with <see cref="MessageRule.CloseCode"/>.</summary>
    Close,
}

/// <summary>One compiled message rule of a route: when it applies, and what it does.</summary>
public sealed record MessageRule(string Name, RuleDirections Directions, MessageMatcher Match, RuleAction Action)
{
    public string Text { get; init; } = "";

    public ushort CloseCode { get; init; } = 1008;

    public string CloseReason { get; init; } = "";

    /// <summary>
    /// <see cref="Text"/> as the one frame a client is sent by <see cref="RuleAction.Reply"/>: made once per rule and
    /// shared by every connection (frames to a client are not masked, and nothing writes to it).
    /// </summary>
    internal byte[] ReplyToClient => field ??= FrameWriter.Message(Opcode.Text, TextUtf8, mask: false);

    /// <summary><see cref="Text"/> encoded once, for the frames that must be made per message (masked towards the upstream).</summary>
    internal byte[] TextUtf8 => field ??= System.Text.Encoding.UTF8.GetBytes(Text);

    /// <summary>The message's new text for <see cref="RuleAction.Rewrite"/>.</summary>
    internal string Rewritten(string message) => Match.Replace(message, Text);
}
