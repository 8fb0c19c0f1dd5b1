using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Stages.Icmp;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// IPv4 route lookup (RFC 1812 §5.2.4.3, longest match): looks up each packet's destination in
/// the shared <see cref="Ipv4RouteTable"/>, writes the next-hop id into
/// <see cref="PacketMeta.NextHop"/> (an id of <see cref="Ipv4RouteTable.NextHops"/>) and sends the
/// packet on by the route's kind.
/// </summary>
/// <remarks>
/// Input: IPv4 packets whose <see cref="PacketMeta.L3Offset"/> points at a header already
/// validated by <c>ipv4_input</c>.
/// Output <c>forward</c>: via a gateway or on a connected prefix; NextHop names the gateway
/// and port (for ECMP, the member the flow hash chose).
/// Output <c>local</c>: addressed to the router (a local route); NextHop names the owning port.
/// Output <c>unreachable</c>: for <c>icmp_error</c> to answer destination unreachable, with its
/// <see cref="IcmpErrorRequest"/> in <see cref="PacketMeta.UserWord"/> — NextHop
/// <see cref="NextHopTable.NoRoute"/> (no route: code 0, net unreachable) or
/// <see cref="NextHopTable.RejectId"/> (reject route: code 13, administratively prohibited).
/// Drop <c>blackhole</c>: the destination is in a blackhole route (silent by design).
/// Drop <c>truncated</c>: the IPv4 header does not fit the packet (no <c>ipv4_input</c> before).
/// ECMP: the flow hash is <see cref="PacketMeta.Hash"/> when the backend set one (RSS), else a
/// CRC32C of the 5-tuple, which is then stored in <see cref="PacketMeta.Hash"/>.
/// Batch semantics: a batch is looked up inside one reader epoch (<see cref="FibReader"/>), so
/// a route changed while the batch runs answers old or new per packet, and nothing the batch
/// saw is reused before it ends. Lookups of a batch are done together, the tbl24 entries
/// prefetched ahead, before any packet is sent on.
/// </remarks>
[Stage("ipv4_lookup", "IPv4 longest-prefix match in the shared FIB: next hop into metadata, out by route type (forward, local, unreachable).",
    Accepts = typeof(Carries.Ipv4))]
public sealed unsafe partial class Ipv4Lookup : Stage<Ipv4Lookup.Output, Ipv4Lookup.Reason>, IDisposable
{
    /// <summary>Packets looked up together: two 256-byte scratch arrays on the stack.</summary>
    private const int Chunk = 64;

    // Next by NextHopKind (None, Via, Connected, Local, Blackhole, Reject, Multipath → resolved
    // before, never read): a table, not a switch, so the per-packet decision has no branch.
    private static readonly Next[] s_nextByKind =
    [
        To(Output.Unreachable), To(Output.Forward), To(Output.Forward), To(Output.Local),
        Drop(Reason.Blackhole), To(Output.Unreachable), To(Output.Unreachable), To(Output.Unreachable),
    ];

    private readonly Ipv4RouteTable _routes;
    private readonly FibReader _reader;

    // Worker-owned counters; read through the control mailbox.
    private long _noRoute;
    private long _rejected;
    private long _multipath;
    private long _hashed;

    public Ipv4Lookup(Ipv4RouteTable routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = routes;
        _reader = routes.OpenReader();
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "routed packets, NextHop = gateway/port (ECMP: the chosen member)")]
        Forward,
        [Port(typeof(Carries.Ipv4), "packets for the router itself, NextHop = the local route's next hop")]
        Local,
        [Port(typeof(Carries.Ipv4), "no route (net unreachable) or reject route (admin prohibited), the request in UserWord, for icmp_error")]
        Unreachable,
    }

    public enum Reason : byte
    {
        [DropReason("destination in a blackhole route", Severity.Info)]
        Blackhole,
        [DropReason("IPv4 header does not fit the packet", Severity.Error)]
        Truncated,
    }

    /// <summary>Packets that found no route.</summary>
    public long NoRoute => _noRoute;

    /// <summary>Packets that hit a reject route.</summary>
    public long Rejected => _rejected;

    /// <summary>Packets routed through an ECMP group.</summary>
    public long Multipath => _multipath;

    /// <summary>ECMP packets whose flow hash this stage computed (the backend gave none).</summary>
    public long Hashed => _hashed;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        uint* addresses = stackalloc uint[Chunk];
        uint* hops = stackalloc uint[Chunk];
        NextHop* table = _routes.NextHops.Entries;
        ref Next nextByKind = ref MemoryMarshal.GetArrayDataReference(s_nextByKind);
        long noRoute = 0;
        long rejected = 0;
        long multipath = 0;
        long hashed = 0;
        _reader.Enter();
        for (int start = 0; start < packets.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, packets.Length - start);
            for (int i = 0; i < count; i++)
            {
                ref PacketMeta meta = ref packets[start + i].Meta;
                // A truncated packet looks up 0.0.0.0 and is dropped below, keeping the loop branch-free.
                addresses[i] = Fits(ref meta)
                    ? BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(meta.Frame + meta.DataOffset + meta.L3Offset + 16))
                    : 0;
            }
            _routes.Fib.Lookup(new ReadOnlySpan<uint>(addresses, count), new Span<uint>(hops, count));
            for (int i = 0; i < count; i++)
            {
                Packet packet = packets[start + i];
                ref PacketMeta meta = ref packet.Meta;
                if (!Fits(ref meta))
                {
                    nexts[start + i] = Drop(Reason.Truncated);
                    continue;
                }
                uint id = hops[i];
                NextHop* hop = table + id;
                if (hop->Kind == NextHopKind.Multipath)
                {
                    multipath++;
                    uint hash = meta.Hash;
                    if (hash == 0)
                    {
                        hash = FlowHash.Compute(meta.Frame + meta.DataOffset + meta.L3Offset, meta.Length - meta.L3Offset);
                        meta.Hash = hash;
                        hashed++;
                    }
                    id = hop->Member(hash);
                    hop = table + id;
                }
                meta.NextHop = id;
                NextHopKind kind = hop->Kind;
                noRoute += kind == NextHopKind.None ? 1 : 0;
                rejected += kind == NextHopKind.Reject ? 1 : 0;
                if (kind is NextHopKind.None or NextHopKind.Reject)
                {
                    meta.UserWord = kind == NextHopKind.None ? IcmpErrorRequest.NetUnreachable : IcmpErrorRequest.AdminProhibited;
                }
                nexts[start + i] = Unsafe.Add(ref nextByKind, (int)kind & 7);
            }
        }
        _reader.Exit();
        // Counted in locals and added once: a field increment per packet is a store-to-load chain.
        _noRoute += noRoute;
        _rejected += rejected;
        _multipath += multipath;
        _hashed += hashed;
    }

    /// <summary>The 20-byte IPv4 header lies inside the packet data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Fits(ref PacketMeta meta) => meta.L3Offset + 20u <= meta.Length;

    public void Dispose() => _reader.Dispose();
}
