namespace Flow.Protocols.Icmp;

/// <summary>ICMP types and the codes Flow emits (RFC 792, RFC 1191, RFC 1812 5.2.7.1).</summary>
public static class IcmpType
{
    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte SourceQuench = 4;
    public const byte Redirect = 5;
    public const byte EchoRequest = 8;
    public const byte TimeExceeded = 11;
    public const byte ParameterProblem = 12;

    public const byte CodeNetUnreachable = 0;
    public const byte CodeHostUnreachable = 1;
    public const byte CodeProtocolUnreachable = 2;
    public const byte CodePortUnreachable = 3;

    /// <summary>Destination unreachable, fragmentation needed and DF set (RFC 792; MTU per RFC 1191).</summary>
    public const byte CodeFragmentationNeeded = 4;

    /// <summary>
    /// Destination unreachable, communication administratively prohibited (RFC 1812 5.2.7.1):
    /// a reject route or a filter refused the packet.
    /// </summary>
    public const byte CodeAdministrativelyProhibited = 13;

    /// <summary>Time exceeded: TTL reached zero in transit (RFC 792).</summary>
    public const byte CodeTtlExceeded = 0;

    /// <summary>Time exceeded: fragment reassembly time exceeded (RFC 792).</summary>
    public const byte CodeReassemblyExceeded = 1;

    /// <summary>True for types that quote an offending packet and must not be answered with another error (RFC 1812 4.3.2.7).</summary>
    public static bool IsError(byte type) => type is DestinationUnreachable or Redirect or TimeExceeded or ParameterProblem or SourceQuench;
}
