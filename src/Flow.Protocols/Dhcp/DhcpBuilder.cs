using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Dhcp;

/// <summary>
/// Starts the DHCP messages of RFC 2131 with the fields and options that section 4.3.1
/// (server, table 3) and 4.4.1 (client, table 5) require for each type. Each returns a
/// <see cref="DhcpWriter"/> so the caller appends the remaining options
/// (1, 3, 6, 12, 15, 55, 58, 59, ...) and calls <see cref="DhcpWriter.TryFinish"/>.
/// </summary>
public static class DhcpBuilder
{
    /// <summary>Client identifier type for a hardware address of hardware type 1 (RFC 2132 9.14).</summary>
    private const byte ClientIdentifierEthernet = 1;

    /// <summary>DHCPDISCOVER: broadcast flag set, since the client has no address yet (RFC 2131 4.1).</summary>
    public static DhcpWriter StartDiscover(Span<byte> buffer, uint transactionId, MacAddress clientMac)
    {
        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootRequest, transactionId, clientMac, DhcpMessageType.Discover);
        if (!w.Overflowed)
        {
            w.Header.Flags = new NetU16(DhcpHeader.BroadcastFlag);
        }

        AddClientIdentifier(ref w, clientMac);
        return w;
    }

    /// <summary>DHCPREQUEST in SELECTING state: 'requested IP address' and 'server identifier' MUST be present, ciaddr zero (table 5).</summary>
    public static DhcpWriter StartRequest(Span<byte> buffer, uint transactionId, MacAddress clientMac, Ipv4Address requested, Ipv4Address serverIdentifier)
    {
        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootRequest, transactionId, clientMac, DhcpMessageType.Request);
        if (!w.Overflowed)
        {
            w.Header.Flags = new NetU16(DhcpHeader.BroadcastFlag);
        }

        AddClientIdentifier(ref w, clientMac);
        w.AddRequestedAddress(requested);
        w.AddServerIdentifier(serverIdentifier);
        return w;
    }

    /// <summary>
    /// DHCPREQUEST in INIT-REBOOT state (RFC 2131 4.4.2): the client asks for the address it
    /// remembers; 'requested IP address' MUST be present, 'server identifier' MUST NOT, ciaddr zero (table 5).
    /// </summary>
    public static DhcpWriter StartRebootRequest(Span<byte> buffer, uint transactionId, MacAddress clientMac, Ipv4Address requested)
    {
        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootRequest, transactionId, clientMac, DhcpMessageType.Request);
        if (!w.Overflowed)
        {
            w.Header.Flags = new NetU16(DhcpHeader.BroadcastFlag);
        }

        AddClientIdentifier(ref w, clientMac);
        w.AddRequestedAddress(requested);
        return w;
    }

    /// <summary>DHCPRELEASE: ciaddr is the released address, 'server identifier' MUST be present (table 5).</summary>
    public static DhcpWriter StartRelease(Span<byte> buffer, uint transactionId, MacAddress clientMac, Ipv4Address clientAddress, Ipv4Address serverIdentifier)
    {
        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootRequest, transactionId, clientMac, DhcpMessageType.Release);
        if (!w.Overflowed)
        {
            w.Header.ClientAddress = clientAddress;
        }

        AddClientIdentifier(ref w, clientMac);
        w.AddServerIdentifier(serverIdentifier);
        return w;
    }

    /// <summary>
    /// DHCPDECLINE: the address a server gave is in use by another host. ciaddr zero, 'requested IP
    /// address' (the declined one) and 'server identifier' MUST be present (table 5); no reply comes.
    /// </summary>
    public static DhcpWriter StartDecline(Span<byte> buffer, uint transactionId, MacAddress clientMac, Ipv4Address declined, Ipv4Address serverIdentifier)
    {
        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootRequest, transactionId, clientMac, DhcpMessageType.Decline);
        AddClientIdentifier(ref w, clientMac);
        w.AddRequestedAddress(declined);
        w.AddServerIdentifier(serverIdentifier);
        return w;
    }

    /// <summary>DHCPOFFER for <paramref name="request"/>: yiaddr, lease time and server identifier (table 3).</summary>
    public static DhcpWriter StartOffer(Span<byte> buffer, DhcpMessage request, Ipv4Address yourAddress, Ipv4Address serverIdentifier, uint leaseSeconds) =>
        StartGrant(buffer, request, DhcpMessageType.Offer, yourAddress, serverIdentifier, leaseSeconds);

    /// <summary>DHCPACK for <paramref name="request"/>: as an offer, plus ciaddr copied from the request (table 3).</summary>
    public static DhcpWriter StartAck(Span<byte> buffer, DhcpMessage request, Ipv4Address yourAddress, Ipv4Address serverIdentifier, uint leaseSeconds) =>
        StartGrant(buffer, request, DhcpMessageType.Ack, yourAddress, serverIdentifier, leaseSeconds);

    /// <summary>DHCPNAK: yiaddr and ciaddr zero, no lease time, server identifier present (table 3).</summary>
    public static DhcpWriter StartNak(Span<byte> buffer, DhcpMessage request, Ipv4Address serverIdentifier)
    {
        DhcpWriter w = StartReply(buffer, request, DhcpMessageType.Nak, copyClientAddress: false);
        w.AddServerIdentifier(serverIdentifier);
        return w;
    }

    /// <summary>
    /// DHCPACK to a DHCPINFORM: ciaddr copied, yiaddr zero, and no lease time (RFC 2131 4.3.5,
    /// table 3: the client already has its address; it asks for options only).
    /// </summary>
    public static DhcpWriter StartInformAck(Span<byte> buffer, DhcpMessage request, Ipv4Address serverIdentifier)
    {
        DhcpWriter w = StartReply(buffer, request, DhcpMessageType.Ack, copyClientAddress: true);
        w.AddServerIdentifier(serverIdentifier);
        return w;
    }

    private static DhcpWriter StartGrant(Span<byte> buffer, DhcpMessage request, DhcpMessageType type, Ipv4Address yourAddress, Ipv4Address serverIdentifier, uint leaseSeconds)
    {
        DhcpWriter w = StartReply(buffer, request, type, copyClientAddress: type == DhcpMessageType.Ack);
        if (!w.Overflowed)
        {
            w.Header.YourAddress = yourAddress;
        }

        w.AddServerIdentifier(serverIdentifier);
        w.AddLeaseTime(leaseSeconds);
        return w;
    }

    /// <summary>
    /// A BOOTREPLY echoing xid, flags, giaddr and chaddr of the request (table 3). The request
    /// fields are read before the buffer is touched, so the reply may overwrite the request.
    /// </summary>
    private static DhcpWriter StartReply(Span<byte> buffer, DhcpMessage request, DhcpMessageType type, bool copyClientAddress)
    {
        ref DhcpHeader r = ref request.Header;
        uint xid = r.TransactionId.Host;
        NetU16 flags = r.Flags;
        Ipv4Address gateway = r.GatewayAddress;
        Ipv4Address client = copyClientAddress ? r.ClientAddress : default;
        MacAddress mac = r.ClientMac;

        DhcpWriter w = DhcpWriter.Start(buffer, DhcpHeader.BootReply, xid, mac, type);
        if (!w.Overflowed)
        {
            ref DhcpHeader h = ref w.Header;
            h.Flags = flags;
            h.GatewayAddress = gateway;
            h.ClientAddress = client;
        }

        return w;
    }

    private static void AddClientIdentifier(ref DhcpWriter w, MacAddress mac)
    {
        Span<byte> bytes = stackalloc byte[6];
        mac.CopyTo(bytes);
        w.AddClientIdentifier(ClientIdentifierEthernet, bytes);
    }
}
