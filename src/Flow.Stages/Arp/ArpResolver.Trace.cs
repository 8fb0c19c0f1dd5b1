using System.Buffers.Binary;
using System.Net;
using Flow.Protocols.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Arp;

// Packet trace: the resolver's one-line note for a traced packet, read on its worker after the batch.
public sealed partial class ArpResolver : ITraceNote
{
    /// <summary>"held for 10.0.0.5" while the neighbour resolves; "to 10.0.0.5 via lan" once resolved.</summary>
    /// <param name="packet">The traced packet.</param>
    /// <param name="next">Where it went.</param>
    /// <returns>The note, or null when the packet named no next hop.</returns>
    public unsafe string? TraceNote(Packet packet, Next next)
    {
        uint id = packet.Meta.NextHop;
        if (id >= (uint)_slotByNextHop.Length)
        {
            return null;
        }
        ref readonly NextHop hop = ref _routes.NextHops[id];
        uint target;
        if (hop.Kind == NextHopKind.Via)
        {
            target = hop.Gateway;
        }
        else if (hop.Kind == NextHopKind.Connected && packet.Meta.L3Offset + Ipv4Header.Size <= packet.Meta.Length)
        {
            target = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(packet.DataPointer + packet.Meta.L3Offset + 16, 4));
        }
        else
        {
            return null;
        }
        string address = new IPAddress([(byte)(target >> 24), (byte)(target >> 16), (byte)(target >> 8), (byte)target]).ToString();
        return next.IsConsumed ? $"held for {address} (resolving its MAC)"
            : next.IsPort ? $"next hop {address}"
            : null;
    }
}
