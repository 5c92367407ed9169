namespace K8sWsProxy.Contracts.Config;

/// <summary>
/// Rules on whole text messages (opt-in: a route without them is relayed as bytes). Messages up to
/// <see cref="MaxBytes"/> are held whole, for the rules and across an upstream failover; larger ones pass unmatched.
/// </summary>
public sealed record MessagesConfig
{
    public const long HardMaxBytes = 16 * 1024 * 1024;

    public const int MaxRules = 32;

    public long MaxBytes { get; init; } = 64 * 1024;

    /// <summary>In order; the first that matches a message acts on it.</summary>
    public IReadOnlyList<MessageRuleConfig> Rules { get; init; } = [];
}

public enum RuleDirection
{
    ToUpstream,
    ToClient,
    Both,
}

public enum RuleAction
{
    /// <summary>Not forwarded; <see cref="MessageRuleConfig.Text"/> goes back to the sender.</summary>
    Reply,

    Drop,

    /// <summary>Forwarded as <see cref="MessageRuleConfig.Text"/>; with a regex match, each match replaced ($1 for groups).</summary>
    Rewrite,

    /// <summary>Both peers are closed with <see cref="MessageRuleConfig.CloseCode"/>.</summary>
    Close,
}

public sealed record MessageRuleConfig
{
    /// <summary>Unique in the route; the metrics' rule label.</summary>
    public string Name { get; init; } = "";

    public RuleDirection Direction { get; init; } = RuleDirection.ToUpstream;

    public MessageMatchConfig Match { get; init; } = new();

    public RuleAction Action { get; init; } = RuleAction.Reply;

    /// <summary>The reply or the rewritten message.</summary>
    public string? Text { get; init; }

    /// <summary>For Close: 1000, or 3000 to 4999.</summary>
    public int CloseCode { get; init; } = 1008;

    public string CloseReason { get; init; } = "";
}

/// <summary>Exactly one of its fields.</summary>
public sealed record MessageMatchConfig
{
    public string? Exact { get; init; }

    public string? Prefix { get; init; }

    /// <summary>.NET syntax, run without backtracking (no backreferences or lookarounds).</summary>
    public string? Regex { get; init; }

    public JsonFieldMatch? Json { get; init; }
}

/// <summary>A JSON message whose field (dotted path) has this value (a string, or a number, true, false or null as written).</summary>
public sealed record JsonFieldMatch
{
    public string Field { get; init; } = "";

    public string Value { get; init; } = "";
}
