using Flow.Protocols.Dhcp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Dhcp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp;

// RFC 2131 4.3.1: "the server SHOULD probe the reused address before allocating the address".
// The served link is the server's own, so the probe is an ARP request (a host can filter ICMP
// echo but not ARP); arp reports any host that answers for the address, other than the client
// it is meant for, to the InterfaceAddressBook's check. The DISCOVER waits, held, for
// ProbeTime; then the OFFER is built in it as for any other request. An address found in use is
// kept back for DeclineTime, as if a client had declined it, and the next one is probed.
// Relayed DISCOVERs (and so every relayed subnet's pool) are not probed: their clients are not on
// this link, and ARP reaches no further. RFC 2131's example probe, an ICMP echo, would reach them,
// but its replies go to the router's ping stage (flow ctl ping), not here.
public sealed partial class DhcpServer
{
    /// <summary>DISCOVERs held at once while their addresses are probed; more are dropped as <c>probes_busy</c> (their clients ask again).</summary>
    public const int MaxHeldDiscovers = 32;

    /// <summary>Addresses probed for one DISCOVER; when as many were in use, the next is offered unprobed (the client checks it too).</summary>
    public const int MaxProbesPerDiscover = 3;

    private readonly List<HeldDiscover> _held = new(MaxHeldDiscovers);
    private readonly long _probeNanoseconds;
    private readonly PacketPool? _probePool;
    private long _probes;
    private long _conflicts;

    private bool IsHeld(DhcpPool pool, int index)
    {
        foreach (HeldDiscover held in _held)
        {
            if (held.Index == index && held.Pool == pool)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Holds <paramref name="packet"/> and sends the ARP request for <paramref name="pool"/>'s slot <paramref name="index"/>; false when no frame was free (then no probe).</summary>
    private bool Hold(Packet packet, DhcpMessage request, DhcpPool pool, int index, long now, int attempt)
    {
        if (!_probePool!.TryAllocate(out Packet probe))
        {
            return false;
        }
        uint address = pool.Leases.AddressOf(index);
        ArpRequestFrame.Write(probe, _mac, Address(_server), Address(address), _port);
        AddressCheck check = _book!.BeginCheck(_options.Interface, address, request.Header.ClientMac);
        _held.Add(new HeldDiscover(packet, pool, index, check, now + _probeNanoseconds, attempt));
        _probes++;
        Emit(probe, Output.Link);
        return true;
    }

    /// <summary>Probes that ended: an offer of the address nobody claimed, or the next address probed.</summary>
    private void ResolveProbes(long now)
    {
        for (int i = 0; i < _held.Count; i++)
        {
            HeldDiscover held = _held[i];
            bool claimed = held.Check.Claimant is not null;
            if (!claimed && now < held.Deadline)
            {
                continue;
            }
            _held.RemoveAt(i--);
            _book!.EndCheck(held.Check);
            if (claimed)
            {
                _conflicts++;
                held.Pool.Leases.Decline(held.Index, now + _declineNanoseconds);
            }
            Answer(held, claimed, now);
        }
    }

    /// <summary>Builds the offer in the held DISCOVER and sends it, or probes the next address after a claim.</summary>
    private void Answer(HeldDiscover held, bool claimed, long now)
    {
        Packet packet = held.Packet;
        if (!TryReadHeld(packet, out DhcpMessage request))
        {
            PacketPools.Free(packet);
            return;
        }
        Span<byte> reply = stackalloc byte[MaxReply];
        int length;
        if (claimed)
        {
            Discover(held.Pool, packet, request, reply, now, held.Attempt + 1, out length, out bool again);
            if (again)
            {
                return;
            }
        }
        else
        {
            Offer(held.Pool, request, reply, held.Index, out length);
        }
        if (length != 0 && TryWriteReply(packet, request, reply.Slice(0, length), out Output output))
        {
            Emit(packet, output);
            return;
        }
        PacketPools.Free(packet);
    }

    /// <summary>The DHCP message of a DISCOVER the server held (it was checked when it came in).</summary>
    private static bool TryReadHeld(Packet packet, out DhcpMessage request)
    {
        request = default;
        Span<byte> data = packet.Data;
        int l3 = packet.Meta.L3Offset;
        return (uint)l3 <= (uint)data.Length && Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip)
            && UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) && DhcpMessage.TryParse(udp.Payload, out request);
    }

    /// <summary>Frees the DISCOVERs still held and ends their checks (the graph stops).</summary>
    private void ReleaseHeld()
    {
        foreach (HeldDiscover held in _held)
        {
            _book!.EndCheck(held.Check);
            PacketPools.Free(held.Packet);
        }
        _held.Clear();
    }

    public void Dispose() => _probePool?.Dispose();
}
