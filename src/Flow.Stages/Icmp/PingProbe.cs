namespace Flow.Stages.Icmp;

/// <summary>
/// One echo request of <see cref="IcmpPinger"/> and what answered it. Addresses are host order;
/// times are the graph clock's nanoseconds. <see cref="AnswerType"/> is 0 for an
/// echo reply, else the ICMP error's type (3 unreachable, 11 time exceeded) with its code.
/// </summary>
public readonly record struct PingProbe(ushort Sequence, uint Destination, uint Source, long SentAt, int DataLength)
{
    public long AnsweredAt { get; init; }

    /// <summary>Who answered: the destination for a reply, the reporting router for an error.</summary>
    public uint From { get; init; }

    public byte AnswerType { get; init; }

    public byte AnswerCode { get; init; }

    /// <summary>TTL of the answer as it arrived.</summary>
    public byte TimeToLive { get; init; }

    /// <summary>Echo data bytes the reply carried back.</summary>
    public int DataLength { get; init; } = DataLength;

    public bool IsAnswered { get; init; }
}
