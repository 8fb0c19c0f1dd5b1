using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Stages.Ipv4;
using Flow.TestKit;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// The router most tests use, and frames for it built by scapy (an encoder we did not write):
/// <code>
///  host 10.0.0.10 ── lan (id 0, 02:00:00:00:01:01, 10.0.0.1/24) ─┐
///                                                                 router
///  gw 192.0.2.2 ──── wan (id 1, 02:00:00:00:02:01, 192.0.2.1/24, ─┘
///                         203.0.113.1/30)
/// </code>
/// Scapy expressions may use <c>L</c>, <c>W</c> (the interfaces' MACs) and <c>H</c> (the LAN
/// host's MAC).
/// </summary>
internal static class RouterFrames
{
    public const string LanMac = "02:00:00:00:01:01";
    public const string WanMac = "02:00:00:00:02:01";
    public const string HostMac = "02:00:00:00:00:0a";
    public const ushort Lan = 0;
    public const ushort Wan = 1;

    private const string Prelude = $"L='{LanMac}'\nW='{WanMac}'\nH='{HostMac}'\n";

    public static IReadOnlyList<RouterInterfaceOptions> Interfaces() =>
    [
        new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
        new() { Name = "wan", Mac = WanMac, Addresses = ["192.0.2.1/24", "203.0.113.1/30"] },
    ];

    public static MacAddress Mac(string text) => new(Convert.FromHexString(text.Replace(":", "", StringComparison.Ordinal)));

    /// <summary>The bytes of each frame of a scapy list expression.</summary>
    public static byte[][] Scapy(string framesExpression) =>
        Python($"for f in ({framesExpression}):\n    print(bytes(f).hex())\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromHexString).ToArray();

    /// <summary>One frame from a scapy expression.</summary>
    public static byte[] ScapyOne(string frameExpression) => Scapy($"[{frameExpression}]").Single();

    /// <summary>Runs a script after the prelude; returns its stdout.</summary>
    public static string Python(string script) => ScapySession.Run(Prelude + script);

    /// <summary>
    /// Lets scapy dissect <paramref name="frame"/> as <c>p</c> and print <paramref name="expression"/>
    /// (a Python expression, e.g. a tuple of fields), returned trimmed.
    /// </summary>
    public static string Dissect(byte[] frame, string expression) =>
        Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(frame)}'))\nprint({expression})\n").Trim();

    /// <summary>A packet on <paramref name="port"/> as eth_classify leaves an IPv4 frame: L2 at 0, L3 at 14.</summary>
    public static Packet Classified(this LeakCheckingPool pool, ushort port, byte[] frame)
    {
        Packet packet = pool.On(port, frame);
        packet.Meta.L2Offset = 0;
        packet.Meta.L3Offset = EthernetHeader.Size;
        packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        return packet;
    }

    /// <summary>True when the IPv4 header at <paramref name="offset"/> has a valid checksum.</summary>
    public static bool HeaderChecksumIsValid(ReadOnlySpan<byte> frame, int offset = EthernetHeader.Size) =>
        Checksum.IsValid(frame.Slice(offset, (frame[offset] & 0xF) * 4));
}
