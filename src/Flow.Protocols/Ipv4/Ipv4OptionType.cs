namespace Flow.Protocols.Ipv4;

/// <summary>IPv4 option type bytes (RFC 791 3.1; IANA "IP Option Numbers"), copy flag included.</summary>
public static class Ipv4OptionType
{
    public const byte EndOfList = 0;
    public const byte NoOperation = 1;
    public const byte RecordRoute = 0x07;
    public const byte Timestamp = 0x44;
    public const byte LooseSourceRoute = 0x83;
    public const byte StrictSourceRoute = 0x89;
    public const byte RouterAlert = 0x94;

    /// <summary>
    /// True for the source-route options (LSRR, SSRR), which RFC 7126 4.3 and 4.4 advise routers to
    /// drop by default: they let a sender steer packets around filters.
    /// </summary>
    public static bool IsSourceRoute(byte type) => type is LooseSourceRoute or StrictSourceRoute;
}
