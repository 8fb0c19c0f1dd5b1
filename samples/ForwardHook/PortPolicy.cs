using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Samples.ForwardHook;

/// <summary>
/// A forwarding hook for pipelines/router.json: drops forwarded TCP or UDP packets to blocked
/// destination ports and rewrites the DSCP of marked ones, the two things halo's
/// Ipv4PktFwdHook is used for. It runs after routing and the TTL decrement, so it sees every
/// forwarded packet once, whichever port it came in and leaves by.
/// Output <c>out</c>: every packet it keeps. Drop reason <c>blocked</c>.
/// </summary>
[Stage("port_policy", "Sample forwarding hook: blocks TCP/UDP destination ports, marks DSCP.", Accepts = typeof(Carries.Ethernet))]
public sealed class PortPolicy : Stage<PortPolicy.Output, PortPolicy.Reason>
{
    // (protocol << 16 | port) → DSCP + 1 for 'mark', 0 for 'block'; absent: untouched.
    private readonly Dictionary<int, int> _rules = [];

    public PortPolicy(PortPolicyOptions options)
    {
        foreach (PortRuleOptions rule in options.Block)
        {
            _rules[Key(rule)] = 0;
        }
        foreach (PortRuleOptions rule in options.Mark)
        {
            if (!_rules.TryAdd(Key(rule), rule.Dscp + 1))
            {
                throw new ArgumentException($"{rule.Protocol} port {rule.Port} is both blocked and marked");
            }
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "forwarded packets it keeps, marked or not")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("TCP or UDP to a blocked destination port", Severity.Info)]
        Blocked,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Apply(packets[i].Data);
        }
    }

    private Next Apply(Span<byte> frame)
    {
        // The router validated the headers before routing; a frame that does not parse here
        // (not IPv4, say) is none of the hook's business and goes on.
        if (!EthernetFrame.TryParse(frame, out EthernetFrame ethernet) || ethernet.EtherType.Host != EtherType.Ipv4
            || !Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet packet))
        {
            return To(Output.Out);
        }
        ref Ipv4Header header = ref packet.Header;
        // Only the first fragment carries the ports.
        if (header.FragmentOffset != 0 || packet.Payload.Length < 4 || (header.Protocol != IpProtocol.Tcp && header.Protocol != IpProtocol.Udp))
        {
            return To(Output.Out);
        }
        int port = (packet.Payload[2] << 8) | packet.Payload[3];
        if (!_rules.TryGetValue((header.Protocol << 16) | port, out int action))
        {
            return To(Output.Out);
        }
        if (action == 0)
        {
            return Drop(Reason.Blocked);
        }
        // DSCP is the top six bits of the TOS byte; ECN, the low two, stays as it was.
        NetU16 before = new((ushort)((header.VersionAndHeaderLength << 8) | header.TypeOfService));
        header.TypeOfService = (byte)(((action - 1) << 2) | (header.TypeOfService & 0x3));
        NetU16 after = new((ushort)((header.VersionAndHeaderLength << 8) | header.TypeOfService));
        header.HeaderChecksum = Checksum.Update(header.HeaderChecksum, before, after);
        return To(Output.Out);
    }

    private static int Key(PortRuleOptions rule) => ((rule.Protocol == "tcp" ? IpProtocol.Tcp : IpProtocol.Udp) << 16) | rule.Port;
}
