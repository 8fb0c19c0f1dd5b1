using System.Runtime.CompilerServices;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4.Internal;
using Flow.Stages.Routing;

namespace Flow.Stages.Ipv4;

/// <summary>
/// The router's MTU step: checks each routed packet against the MTU of the interface its next
/// hop leaves by, and fragments what does not fit (RFC 791 3.2, RFC 1812 5.2.6) or, when the
/// sender forbade that, asks for the error path MTU discovery needs (RFC 1191 4, RFC 1812
/// 5.2.7.1: destination unreachable, fragmentation needed, carrying the next-hop MTU).
/// </summary>
/// <remarks>
/// Input: IPv4 packets routed by <c>ipv4_lookup</c> (and normally through <c>ipv4_forward</c>):
/// L3 offset at the header, <see cref="PacketMeta.NextHop"/> a via or connected next hop of the
/// shared <see cref="Ipv4RouteTable"/>, whose port is the egress interface's id. Whatever lies
/// before the L3 offset (the Ethernet header, tags) is taken as the L2 header.
/// Output <c>resolve</c>: packets of at most the egress MTU (Total Length), unchanged, and
/// fragments; connect it to the neighbour stage (<c>arp_resolve</c>), which rewrites each
/// frame's Ethernet header.
/// Output <c>icmp</c>: too big with DF set, unchanged, with
/// <see cref="IcmpErrorRequest.FragmentationNeeded"/>(MTU) in <see cref="PacketMeta.UserWord"/>;
/// connect it to <c>icmp_error</c>, which does not rate-limit this kind (PMTUD depends on it).
/// Fragments: the first carries the whole header and options, later ones only the options with
/// the copy flag; payload pieces are multiples of 8 bytes; offsets add to the packet's own
/// offset and the last fragment keeps its MF bit, so fragments are fragmented correctly; each
/// fragment gets the packet's L2 header and metadata and a fresh header checksum. All but the
/// last are frames of the stage's own pool, emitted at once; the last is the packet itself, its
/// header written in front of the last piece where that lies in the frame (no copy), and it
/// leaves in the packet's place in the batch. So a receiver completes each datagram only with
/// its last fragment, after anything the batch held before it: datagrams keep their order even
/// though early fragments pass earlier packets of the batch.
/// Drops: <c>truncated</c> (header or Total Length beyond the packet), <c>no_next_hop</c>
/// (NextHop not a via or connected next hop), <c>unknown_port</c> (its port is not an
/// interface), <c>oversized</c> (offset plus length past 65535: no valid fragment can carry it),
/// <c>no_room</c> (the fragment frames are too small for this L2 header),
/// <c>no_buffers</c> (the fragment pool cannot hold every fragment: the whole datagram is
/// dropped, none of its fragments leave).
/// </remarks>
[Stage("ipv4_output", "Router MTU step: fits → resolve; too big with DF → icmp (fragmentation needed with the MTU); else fragmented (RFC 791).",
    Accepts = typeof(Carries.Ipv4))]
public sealed unsafe class Ipv4Output : Stage<Ipv4Output.Output, Ipv4Output.Reason>, IDisposable
{
    /// <summary>L2 bytes a fragment frame leaves room for when its size is derived from the MTUs (Ethernet, two tags, more).</summary>
    public const int L2Allowance = 64;

    // Payload pieces are at least 8 bytes, so a 65535-byte datagram makes at most this many fragments.
    private const int MaxFragments = (ushort.MaxValue + 7) / 8;

    private readonly Ipv4RouteTable _routes;
    private readonly ushort[] _mtuById;          // port id → MTU; 0: not an interface
    private readonly PacketPool _pool;
    private readonly int _room;                  // data bytes of a fragment frame
    private readonly Packet[] _fragments = new Packet[MaxFragments];

    // Worker-owned counters; read through the control mailbox.
    private long _fragmented;
    private long _fragmentsMade;
    private long _fragmentationNeeded;

    public Ipv4Output(Ipv4OutputOptions options, Ipv4RouteTable routes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(routes);
        RouterInterfaceTable interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _routes = routes;
        int maxId = 0;
        int maxMtu = 0;
        for (int i = 0; i < interfaces.Count; i++)
        {
            RouterInterfaceOptions item = interfaces.Interfaces[i];
            maxId = Math.Max(maxId, item.Id ?? i);
            maxMtu = Math.Max(maxMtu, item.Mtu);
        }
        _mtuById = new ushort[maxId + 1];
        for (int i = 0; i < interfaces.Count; i++)
        {
            RouterInterfaceOptions item = interfaces.Interfaces[i];
            _mtuById[item.Id ?? i] = (ushort)item.Mtu;
        }
        if (options.FragmentPoolFrames is < 1 or > 1 << 20)
        {
            throw new RouterConfigurationException($"FragmentPoolFrames {options.FragmentPoolFrames} is out of range 1 to {1 << 20}");
        }
        int frameSize = options.FragmentFrameSize;
        if (frameSize == 0)
        {
            frameSize = Math.Min(65472, Math.Max(PacketPool.DefaultFrameSize, (PacketPool.DefaultDataOffset + L2Allowance + maxMtu + 63) & ~63));
        }
        else if (frameSize is < 512 or > 65472 || frameSize % 64 != 0)
        {
            throw new RouterConfigurationException($"FragmentFrameSize {frameSize} is not 0 or a multiple of 64 from 512 to 65472");
        }
        _pool = PacketPool.Create(options.FragmentPoolFrames, frameSize, name: "ipv4_output.fragments");
        _room = _pool.FrameSize - _pool.DataOffset;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets within the egress MTU, and fragments, for neighbour resolution")]
        Resolve,
        [Port(typeof(Carries.Ipv4), "too big with DF set, unchanged, with a fragmentation-needed request (next-hop MTU) in UserWord for icmp_error")]
        Icmp,
    }

    public enum Reason : byte
    {
        [DropReason("IPv4 header or Total Length runs past the packet", Severity.Error)]
        Truncated,
        [DropReason("NextHop is not a via or connected next hop", Severity.Error)]
        NoNextHop,
        [DropReason("the next hop's port is not a router interface", Severity.Error)]
        UnknownPort,
        [DropReason("fragment offset plus length passes 65535 (RFC 791): cannot be fragmented", Severity.Warning)]
        Oversized,
        [DropReason("fragment frames cannot hold a fragment behind this L2 header", Severity.Error)]
        NoRoom,
        [DropReason("fragment pool exhausted: the whole datagram dropped", Severity.Warning)]
        NoBuffers,
    }

    /// <summary>Datagrams fragmented.</summary>
    public long Fragmented => _fragmented;

    /// <summary>Fragments sent, the last fragment of each datagram included.</summary>
    public long FragmentsMade => _fragmentsMade;

    /// <summary>Packets too big with DF set, sent to <c>icmp</c>.</summary>
    public long FragmentationNeeded => _fragmentationNeeded;

    /// <summary>The pool fragments are made from (its size and failures, for tests and control).</summary>
    public PacketPool FragmentPool => _pool;

    /// <summary>The MTU of packets leaving by port id <paramref name="port"/>; 0 when the port is not an interface.</summary>
    public int MtuOf(ushort port) => port < (uint)_mtuById.Length ? _mtuById[port] : 0;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        NextHop* hops = _routes.NextHops.Entries;
        uint capacity = (uint)_routes.NextHops.Capacity;
        ushort[] mtuById = _mtuById;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Send(packets[i], hops, capacity, mtuById);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Next Send(Packet packet, NextHop* hops, uint capacity, ushort[] mtuById)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        if (l3 + Ipv4Header.Size > meta.Length)
        {
            return Drop(Reason.Truncated);
        }
        ref Ipv4Header header = ref Unsafe.AsRef<Ipv4Header>(packet.DataPointer + l3);
        int total = header.TotalLength.Host;
        int headerLength = header.HeaderLength;
        if (headerLength < Ipv4Header.Size || total < headerLength || l3 + total > meta.Length)
        {
            return Drop(Reason.Truncated);
        }
        uint id = meta.NextHop;
        if (id >= capacity)
        {
            return Drop(Reason.NoNextHop);
        }
        NextHop* hop = hops + id;
        if (hop->Kind is not (NextHopKind.Via or NextHopKind.Connected))
        {
            return Drop(Reason.NoNextHop);
        }
        ushort port = hop->Port;
        int mtu = port < (uint)mtuById.Length ? mtuById[port] : 0;
        if (mtu == 0)
        {
            return Drop(Reason.UnknownPort);
        }
        if (total <= mtu)
        {
            return To(Output.Resolve);
        }
        if (header.DontFragment)
        {
            meta.UserWord = IcmpErrorRequest.FragmentationNeeded((ushort)mtu);
            _fragmentationNeeded++;
            return To(Output.Icmp);
        }
        return Fragment(packet, mtu);
    }

    /// <summary>Cuts the datagram; the packet becomes its last fragment (see the remarks on the class).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Next Fragment(Packet packet, int mtu)
    {
        ref PacketMeta meta = ref packet.Meta;
        byte* data = packet.DataPointer;
        int l2 = meta.L3Offset;
        byte* ip = data + l2;
        ref Ipv4Header header = ref Unsafe.AsRef<Ipv4Header>(ip);
        int headerLength = header.HeaderLength;
        int payload = header.TotalLength.Host - headerLength;
        ushort flags = header.FlagsAndFragmentOffset.Host;
        int offset = (flags & Ipv4Fragmenter.OffsetMask) * 8;
        if (offset + payload > Ipv4Fragmenter.MaxPayloadEnd)
        {
            return Drop(Reason.Oversized);
        }

        byte* template = stackalloc byte[Ipv4Header.MaxSize];
        int copiedLength = Ipv4Fragmenter.WriteCopiedHeader(ip, headerLength, template);
        // A fragment frame may be smaller than the MTU; the pieces then follow the frame.
        int first = Ipv4Fragmenter.FirstPiece(Math.Min(mtu, _room - l2), headerLength);
        int later = Ipv4Fragmenter.LaterPiece(Math.Min(mtu, _room - l2), copiedLength);
        if (first < 8 || later < 8)
        {
            return Drop(Reason.NoRoom);
        }
        int count = Ipv4Fragmenter.Count(payload, first, later);
        Span<Packet> made = _fragments.AsSpan(0, count - 1);
        // All frames or none: a datagram missing a fragment is useless to its receiver and
        // would hold its reassembly buffer until the timeout (RFC 791 3.2, 15 s or more).
        int got = _pool.AllocateBulk(made);
        if (got < made.Length)
        {
            _pool.FreeBulk(made.Slice(0, got));
            return Drop(Reason.NoBuffers);
        }

        // Bits other than MF and the offset (the reserved bit; DF is clear) go to every fragment.
        ushort kept = (ushort)(flags & ~(Ipv4Fragmenter.MoreFragmentsBit | Ipv4Fragmenter.OffsetMask));
        int at = 0;
        for (int f = 0; f < made.Length; f++)
        {
            int piece = f == 0 ? first : later;
            int length = f == 0 ? headerLength : copiedLength;
            Packet fragment = made[f];
            ref PacketMeta to = ref fragment.Meta;
            byte* into = fragment.DataPointer;
            Unsafe.CopyBlockUnaligned(into, data, (uint)l2);
            Unsafe.CopyBlockUnaligned(into + l2, f == 0 ? ip : template, (uint)length);
            Unsafe.CopyBlockUnaligned(into + l2 + length, ip + headerLength + at, (uint)piece);
            Ipv4Fragmenter.FinishHeader(into + l2, length, piece,
                (ushort)(kept | Ipv4Fragmenter.MoreFragmentsBit | (offset + at) >> 3));
            CopyMeta(ref meta, ref to, l2, length, piece, f == 0);
            Emit(fragment, Output.Resolve);
            at += piece;
        }

        // The last piece stays where it is; its header and the L2 header go right in front of it.
        // They may overlap the old headers (tiny MTUs), which are no longer needed: every other
        // fragment has been copied out. The L2 block moves with memmove semantics.
        int last = payload - at;
        int headerAt = l2 + headerLength + at - copiedLength;
        byte* lastHeader = data + headerAt;
        Unsafe.CopyBlockUnaligned(lastHeader, template, (uint)copiedLength);
        Ipv4Fragmenter.FinishHeader(lastHeader, copiedLength, last,
            (ushort)(kept | (flags & Ipv4Fragmenter.MoreFragmentsBit) | (offset + at) >> 3));
        int shift = headerAt - l2;
        new ReadOnlySpan<byte>(data, l2).CopyTo(new Span<byte>(data + shift, l2));
        meta.DataOffset = (ushort)(meta.DataOffset + shift);
        meta.Length = (ushort)(l2 + copiedLength + last);
        meta.L4Offset = (ushort)(l2 + copiedLength);
        meta.Flags &= ~(PacketFlags.L4Valid | PacketFlags.L4ChecksumGood);

        _fragmented++;
        _fragmentsMade += count;
        return To(Output.Resolve);
    }

    /// <summary>A fragment carries its datagram's metadata (port, next hop, hash, VLAN, tags) and its own offsets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMeta(ref PacketMeta from, ref PacketMeta to, int l2, int headerLength, int piece, bool first)
    {
        to.Length = (ushort)(l2 + headerLength + piece);
        to.InputPort = from.InputPort;
        to.Flags = from.Flags & ~(PacketFlags.Chained | PacketFlags.L4ChecksumGood | (first ? PacketFlags.None : PacketFlags.L4Valid));
        to.L2Offset = from.L2Offset;
        to.L3Offset = (ushort)l2;
        to.L4Offset = (ushort)(l2 + headerLength);
        to.UserWord = from.UserWord;
        to.Hash = from.Hash;
        to.VlanTci = from.VlanTci;
        to.Timestamp = from.Timestamp;
        to.Sequence = from.Sequence;
        to.NextHop = from.NextHop;
    }

    public void Dispose() => _pool.Dispose();
}
