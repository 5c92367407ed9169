namespace K8sWsProxy.Bench.Soak;

/// <summary>What one echoed sequence number meant.</summary>
internal enum Echo
{
    InOrder,

    /// <summary>Later than expected: the numbers skipped were lost.</summary>
    Gap,

    /// <summary>At or below one already seen: a duplicate (or a reordering, which TCP rules out).</summary>
    Duplicate,

    /// <summary>A number never sent.</summary>
    Unexpected,
}

/// <summary>
/// One connection's echo accounting: the sender numbers its messages 0, 1, 2 …; every number must come back exactly
/// once and in order. A gap counts the skipped numbers as lost at once (on one TCP stream nothing skipped can still
/// come); what is still outstanding when the connection ends, or when the run ends after its grace, is lost too.
/// Not thread-safe: the caller locks (the sender and the receiver of a connection share it).
/// </summary>
internal sealed class SequenceChecker
{
    private long next;

    public long Sent { get; private set; }

    public long Received { get; private set; }

    public long Lost { get; private set; }

    public long Duplicated { get; private set; }

    public long Unexpected { get; private set; }

    /// <summary>Sent, neither echoed nor skipped yet.</summary>
    public long Outstanding => Sent - next;

    /// <summary>The number of the next message to send, counted as sent.</summary>
    public long NextToSend() => Sent++;

    public Echo Accept(long sequence)
    {
        if (sequence >= Sent || sequence < 0)
        {
            Unexpected++;
            return Echo.Unexpected;
        }

        if (sequence < next)
        {
            Duplicated++;
            return Echo.Duplicate;
        }

        Received++;
        var skipped = sequence - next;
        next = sequence + 1;
        if (skipped == 0)
        {
            return Echo.InOrder;
        }

        Lost += skipped;
        return Echo.Gap;
    }

    /// <summary>The connection ended (or the run did): whatever is outstanding will never come; returns how many.</summary>
    public long GiveUpOutstanding()
    {
        var outstanding = Outstanding;
        Lost += outstanding;
        next = Sent;
        return outstanding;
    }
}
