using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Flow.Hosting.Live;

/// <summary>
/// The small filter language of <c>capture start --filter</c> and <c>trace start --filter</c>
/// (docs/control.md, "Filters"): tcpdump-like primitives joined by <c>and</c>, <c>or</c>,
/// <c>not</c> and parentheses.
/// <code>
/// expr      := term ("or" term)*
/// term      := factor (["and"] factor)*
/// factor    := "not" factor | "(" expr ")" | primitive
/// primitive := ip | ip6 | arp | icmp | icmp6 | tcp | udp
///            | [src|dst] host ADDRESS | [src|dst] net ADDRESS/LENGTH | [src|dst] port N
///            | vlan N | [src|dst] ether MAC | ADDRESS | MAC
/// </code>
/// Addresses match IPv4 and IPv6 source or destination (and ARP's sender and target); a MAC
/// matches Ethernet source or destination; <c>vlan N</c> matches the outer or inner tag.
/// </summary>
internal sealed class PacketFilter
{
    private readonly Node _root;

    private PacketFilter(Node root, string text)
    {
        _root = root;
        Text = text;
    }

    /// <summary>The expression as given.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ControlCommandException"/> naming the word it could not use.</summary>
    public static PacketFilter Parse(string text)
    {
        var parser = new Parser(Tokenize(text));
        Node root = parser.Expression();
        if (!parser.AtEnd)
        {
            throw new ControlCommandException($"filter '{text}': unexpected '{parser.Peek}'");
        }
        return new PacketFilter(root, text);
    }

    public bool Matches(ReadOnlySpan<byte> frame)
    {
        PacketHeaders headers = PacketHeaders.Decode(frame);
        return _root.Matches(in headers);
    }

    public bool Matches(in PacketHeaders headers) => _root.Matches(in headers);

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        foreach (string word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int start = 0;
            for (int i = 0; i < word.Length; i++)
            {
                if (word[i] is '(' or ')')
                {
                    if (i > start)
                    {
                        tokens.Add(word[start..i]);
                    }
                    tokens.Add(word[i].ToString());
                    start = i + 1;
                }
            }
            if (start < word.Length)
            {
                tokens.Add(word[start..]);
            }
        }
        if (tokens.Count == 0)
        {
            throw new ControlCommandException("the filter is empty");
        }
        return tokens;
    }

    private enum Direction
    {
        Either,
        Source,
        Destination,
    }

    private abstract class Node
    {
        public abstract bool Matches(in PacketHeaders h);
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Matches(in PacketHeaders h) => !inner.Matches(in h);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Matches(in PacketHeaders h) => left.Matches(in h) && right.Matches(in h);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Matches(in PacketHeaders h) => left.Matches(in h) || right.Matches(in h);
    }

    private sealed class Protocol(string name) : Node
    {
        public override bool Matches(in PacketHeaders h) => name switch
        {
            "ip" => h.EtherType == PacketHeaders.EtherIpv4,
            "ip6" => h.EtherType == PacketHeaders.EtherIpv6,
            "arp" => h.EtherType == PacketHeaders.EtherArp,
            "icmp" => h.EtherType == PacketHeaders.EtherIpv4 && h.Protocol == PacketHeaders.ProtoIcmp,
            "icmp6" => h.EtherType == PacketHeaders.EtherIpv6 && h.Protocol == PacketHeaders.ProtoIcmpv6,
            "tcp" => h.IpVersion != 0 && h.EtherType != PacketHeaders.EtherArp && h.Protocol == PacketHeaders.ProtoTcp,
            _ => h.IpVersion != 0 && h.EtherType != PacketHeaders.EtherArp && h.Protocol == PacketHeaders.ProtoUdp,
        };
    }

    /// <summary>An IP network (a host is a full-length prefix): version, prefix bits as the top of a 128-bit value.</summary>
    private sealed class Network(Direction direction, int version, UInt128 prefix, int length) : Node
    {
        public override bool Matches(in PacketHeaders h)
        {
            if (h.IpVersion != version)
            {
                return false;
            }
            return direction switch
            {
                Direction.Source => In(h.SourceIp),
                Direction.Destination => In(h.DestinationIp),
                _ => In(h.SourceIp) || In(h.DestinationIp),
            };
        }

        private bool In(UInt128 address)
        {
            int bits = version == 4 ? 32 : 128;
            return length == 0 || address >> (bits - length) == prefix >> (bits - length);
        }
    }

    private sealed class Port(Direction direction, ushort port) : Node
    {
        public override bool Matches(in PacketHeaders h) => h.HasPorts && direction switch
        {
            Direction.Source => h.SourcePort == port,
            Direction.Destination => h.DestinationPort == port,
            _ => h.SourcePort == port || h.DestinationPort == port,
        };
    }

    private sealed class Vlan(ushort vid) : Node
    {
        public override bool Matches(in PacketHeaders h) => (h.VlanCount > 0 && h.OuterVlan == vid) || (h.VlanCount > 1 && h.InnerVlan == vid);
    }

    private sealed class Ether(Direction direction, ulong mac) : Node
    {
        public override bool Matches(in PacketHeaders h) => h.Length >= 14 && direction switch
        {
            Direction.Source => h.SourceMac == mac,
            Direction.Destination => h.DestinationMac == mac,
            _ => h.SourceMac == mac || h.DestinationMac == mac,
        };
    }

    private sealed class Parser(List<string> tokens)
    {
        private int _next;

        public bool AtEnd => _next >= tokens.Count;

        public string Peek => AtEnd ? "end of filter" : tokens[_next];

        public Node Expression()
        {
            Node left = Term();
            while (Accept("or"))
            {
                left = new Or(left, Term());
            }
            return left;
        }

        private Node Term()
        {
            Node left = Factor();
            while (!AtEnd && Peek is not ("or" or ")"))
            {
                Accept("and");
                left = new And(left, Factor());
            }
            return left;
        }

        private Node Factor()
        {
            if (Accept("not"))
            {
                return new Not(Factor());
            }
            if (Accept("("))
            {
                Node inner = Expression();
                Expect(")");
                return inner;
            }
            return Primitive();
        }

        private Node Primitive()
        {
            string word = Take("a filter primitive");
            switch (word)
            {
                case "ip" or "ip6" or "arp" or "icmp" or "icmp6" or "tcp" or "udp":
                    return new Protocol(word);
                case "vlan":
                    return new Vlan((ushort)Number(Take("a VLAN id"), "VLAN id", 0, 4095));
            }
            Direction direction = Direction.Either;
            if (word is "src" or "dst")
            {
                direction = word == "src" ? Direction.Source : Direction.Destination;
                word = Take("host, net, port or ether");
            }
            switch (word)
            {
                case "host":
                    return Address(direction, Take("an address"), host: true);
                case "net":
                    return Address(direction, Take("a network such as 10.0.0.0/8"), host: false);
                case "port":
                    return new Port(direction, (ushort)Number(Take("a port number"), "port", 0, 65535));
                case "ether":
                    string mac = Take("a MAC address");
                    if (mac == "host")
                    {
                        mac = Take("a MAC address");
                    }
                    return new Ether(direction, ParseMac(mac));
            }
            if (TryParseMac(word, out ulong literalMac))
            {
                return new Ether(direction, literalMac);
            }
            if (IPAddress.TryParse(word, out _))
            {
                return Address(direction, word, host: true);
            }
            throw new ControlCommandException($"filter: '{word}' is not a filter primitive (ip, ip6, arp, icmp, icmp6, tcp, udp, host, net, port, vlan, ether, an address or a MAC)");
        }

        private static Network Address(Direction direction, string text, bool host)
        {
            string address = text;
            int length = -1;
            int slash = text.IndexOf('/');
            if (slash >= 0)
            {
                if (host)
                {
                    throw new ControlCommandException($"filter: host '{text}' is an address without a /length (use net for a network)");
                }
                address = text[..slash];
                length = Number(text[(slash + 1)..], "prefix length", 0, 128);
            }
            else if (!host)
            {
                throw new ControlCommandException($"filter: net '{text}' needs a /length");
            }
            if (!IPAddress.TryParse(address, out IPAddress? ip))
            {
                throw new ControlCommandException($"filter: '{address}' is not an IPv4 or IPv6 address");
            }
            byte[] bytes = ip.GetAddressBytes();
            int version = ip.AddressFamily == AddressFamily.InterNetwork ? 4 : 6;
            int bits = version == 4 ? 32 : 128;
            if (length > bits)
            {
                throw new ControlCommandException($"filter: prefix length {length} is longer than {bits}");
            }
            UInt128 value = version == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
            return new Network(direction, version, value, length < 0 ? bits : length);
        }

        private static int Number(string text, string what, int min, int max)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            {
                throw new ControlCommandException($"filter: {what} '{text}' is not a number from {min} to {max}");
            }
            return value;
        }

        private static ulong ParseMac(string text) =>
            TryParseMac(text, out ulong mac) ? mac : throw new ControlCommandException($"filter: '{text}' is not a MAC address such as 02:00:00:00:00:01");

        private static bool TryParseMac(string text, out ulong mac)
        {
            mac = 0;
            string[] parts = text.Split(':');
            if (parts.Length != 6)
            {
                return false;
            }
            foreach (string part in parts)
            {
                if (part.Length is < 1 or > 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
                {
                    return false;
                }
                mac = (mac << 8) | b;
            }
            return true;
        }

        private bool Accept(string word)
        {
            if (!AtEnd && tokens[_next] == word)
            {
                _next++;
                return true;
            }
            return false;
        }

        private void Expect(string word)
        {
            if (!Accept(word))
            {
                throw new ControlCommandException($"filter: expected '{word}' but found '{Peek}'");
            }
        }

        private string Take(string what) =>
            AtEnd ? throw new ControlCommandException($"filter: expected {what} at the end") : tokens[_next++];
    }
}
