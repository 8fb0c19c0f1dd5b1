namespace Flow.Stages.Switching;

// Packet trace: the learner's one-line note for a traced packet, read on its worker after the batch.
public sealed partial class MacLearner : ITraceNote
{
    /// <summary>"learned 02:00:00:00:00:0a on port 1, VLAN 10; destination on port 3" (or "unknown: flood").</summary>
    /// <param name="packet">The traced packet.</param>
    /// <param name="next">Where it went.</param>
    /// <returns>The note, or null for a frame too short to have addresses.</returns>
    public unsafe string? TraceNote(Packet packet, Next next)
    {
        ref PacketMeta meta = ref packet.Meta;
        if (meta.Length < 14 || next.IsDrop)
        {
            return null;
        }
        byte* data = packet.DataPointer;
        int vlan = (meta.Flags & PacketFlags.VlanStripped) != 0 ? meta.VlanTci & 0x0FFF : 0;
        string source = string.Join(':', Enumerable.Range(6, 6).Select(i => data[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        string learned = (data[6] & 1) != 0 ? $"source {source} is multicast: not learned" : $"learned {source} on port {meta.InputPort}, VLAN {vlan}";
        string destination = meta.NextHop == Flood ? "destination unknown or broadcast: flood" : $"destination on port {meta.NextHop}";
        return $"{learned}; {destination}";
    }
}
