using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Dhcp;

/// <summary>
/// Writes a DHCP message in place: the BOOTP header, then options appended in call order,
/// then End (RFC 2131, RFC 2132). A write that does not fit marks the writer overflowed
/// instead of throwing; <see cref="TryFinish"/> then returns false.
/// </summary>
public ref struct DhcpWriter
{
    /// <summary>
    /// Messages are padded to 300 bytes, the size of a BOOTP message with its fixed 64-byte
    /// vendor area (RFC 951 3; RFC 1542 2.1), which some relays still insist on.
    /// </summary>
    public const int MinimumLength = 300;

    /// <summary>Hardware type 1, Ethernet (RFC 1700 "ARP Hardware Types", used by RFC 2131 htype).</summary>
    private const byte HardwareTypeEthernet = 1;

    private readonly Span<byte> _buffer;
    private int _length;

    private DhcpWriter(Span<byte> buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>True once an option did not fit; nothing further is written.</summary>
    public readonly bool Overflowed => _length < 0;

    /// <summary>The header, to set the address fields the message type calls for.</summary>
    public readonly ref DhcpHeader Header => ref Wire.As<DhcpHeader>(_buffer);

    /// <summary>
    /// Zeroes the header (no stale bytes leak into sname/file), fills op, hardware type and
    /// length for Ethernet, xid, chaddr and the magic cookie, and writes option 53.
    /// </summary>
    public static DhcpWriter Start(Span<byte> buffer, byte operation, uint transactionId, MacAddress clientMac, DhcpMessageType type)
    {
        if ((uint)buffer.Length < DhcpHeader.Size + 3)
        {
            return new DhcpWriter(buffer, -1);
        }

        buffer.Slice(0, DhcpHeader.Size).Clear();
        ref DhcpHeader h = ref Wire.As<DhcpHeader>(buffer);
        h.Operation = operation;
        h.HardwareType = HardwareTypeEthernet;
        h.HardwareLength = 6;
        h.TransactionId = new NetU32(transactionId);
        h.ClientMac = clientMac;
        h.MagicCookie = new NetU32(DhcpHeader.MagicCookieValue);
        DhcpWriter writer = new(buffer, DhcpHeader.Size);
        writer.AddOption(DhcpOptionCode.MessageType, [(byte)type]);
        return writer;
    }

    /// <summary>Option 1 (RFC 2132 3.3).</summary>
    public void AddSubnetMask(Ipv4Address mask) => AddAddress(DhcpOptionCode.SubnetMask, mask);

    /// <summary>Option 3, routers in order of preference (RFC 2132 3.5).</summary>
    public void AddRouters(scoped ReadOnlySpan<Ipv4Address> routers) => AddAddresses(DhcpOptionCode.Router, routers);

    /// <summary>Option 6 (RFC 2132 3.8).</summary>
    public void AddDomainNameServers(scoped ReadOnlySpan<Ipv4Address> servers) => AddAddresses(DhcpOptionCode.DomainNameServer, servers);

    /// <summary>Option 12, ASCII (RFC 2132 3.14).</summary>
    public void AddHostName(scoped ReadOnlySpan<byte> name) => AddOption(DhcpOptionCode.HostName, name);

    /// <summary>Option 15, ASCII (RFC 2132 3.17).</summary>
    public void AddDomainName(scoped ReadOnlySpan<byte> name) => AddOption(DhcpOptionCode.DomainName, name);

    /// <summary>Option 50 (RFC 2132 9.1).</summary>
    public void AddRequestedAddress(Ipv4Address address) => AddAddress(DhcpOptionCode.RequestedIpAddress, address);

    /// <summary>Option 51, seconds (RFC 2132 9.2).</summary>
    public void AddLeaseTime(uint seconds) => AddSeconds(DhcpOptionCode.IpAddressLeaseTime, seconds);

    /// <summary>Option 54 (RFC 2132 9.7).</summary>
    public void AddServerIdentifier(Ipv4Address server) => AddAddress(DhcpOptionCode.ServerIdentifier, server);

    /// <summary>Option 55, the codes the client asks for (RFC 2132 9.8).</summary>
    public void AddParameterRequestList(scoped ReadOnlySpan<byte> codes) => AddOption(DhcpOptionCode.ParameterRequestList, codes);

    /// <summary>Option 56, an error text for a NAK (RFC 2132 9.9).</summary>
    public void AddMessage(scoped ReadOnlySpan<byte> text) => AddOption(DhcpOptionCode.Message, text);

    /// <summary>Option 58, T1 in seconds (RFC 2132 9.11).</summary>
    public void AddRenewalTime(uint seconds) => AddSeconds(DhcpOptionCode.RenewalTime, seconds);

    /// <summary>Option 59, T2 in seconds (RFC 2132 9.12).</summary>
    public void AddRebindingTime(uint seconds) => AddSeconds(DhcpOptionCode.RebindingTime, seconds);

    /// <summary>Option 61: a type byte (1 = Ethernet MAC) and the identifier (RFC 2132 9.14).</summary>
    public void AddClientIdentifier(byte type, scoped ReadOnlySpan<byte> identifier)
    {
        if (!TryReserve(DhcpOptionCode.ClientIdentifier, 1 + identifier.Length, out Span<byte> data))
        {
            return;
        }

        data[0] = type;
        identifier.CopyTo(data.Slice(1));
    }

    /// <summary>Any option with up to 255 bytes of data.</summary>
    public void AddOption(byte code, scoped ReadOnlySpan<byte> data)
    {
        if (TryReserve(code, data.Length, out Span<byte> target))
        {
            data.CopyTo(target);
        }
    }

    /// <summary>Writes End, zero-pads to <see cref="MinimumLength"/>, and returns the message length.</summary>
    public bool TryFinish(out int length)
    {
        if (Overflowed || (uint)_length >= (uint)_buffer.Length)
        {
            length = 0;
            return false;
        }

        _buffer[_length++] = DhcpOptionCode.End;
        if (_length < MinimumLength && _buffer.Length >= MinimumLength)
        {
            _buffer[_length..MinimumLength].Clear();
            _length = MinimumLength;
        }

        length = _length;
        return true;
    }

    private void AddAddress(byte code, Ipv4Address address)
    {
        if (TryReserve(code, 4, out Span<byte> data))
        {
            address.CopyTo(data);
        }
    }

    private void AddAddresses(byte code, scoped ReadOnlySpan<Ipv4Address> addresses)
    {
        if (!TryReserve(code, addresses.Length * 4, out Span<byte> data))
        {
            return;
        }

        for (int i = 0; i < addresses.Length; i++)
        {
            addresses[i].CopyTo(data.Slice(i * 4));
        }
    }

    private void AddSeconds(byte code, uint seconds)
    {
        if (TryReserve(code, 4, out Span<byte> data))
        {
            BinaryPrimitives.WriteUInt32BigEndian(data, seconds);
        }
    }

    /// <summary>Writes code and length and hands back the data area; keeps one byte for End.</summary>
    private bool TryReserve(byte code, int dataLength, out Span<byte> data)
    {
        if (Overflowed || (uint)dataLength > byte.MaxValue || (uint)(_length + 2 + dataLength + 1) > (uint)_buffer.Length)
        {
            _length = -1;
            data = default;
            return false;
        }

        _buffer[_length] = code;
        _buffer[_length + 1] = (byte)dataLength;
        data = _buffer.Slice(_length + 2, dataLength);
        _length += 2 + dataLength;
        return true;
    }
}
