namespace Flow.Backends.AfPacket.Tests;

/// <summary>Pass-through test stage recording each packet's VLAN metadata.</summary>
[Stage("meta_recorder", "Test stage recording VlanTci and the VlanStripped flag.")]
public sealed class MetaRecorder(List<(ushort Tci, bool Stripped)> seen) : Stage<MetaRecorder.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            ref PacketMeta meta = ref packets[i].Meta;
            seen.Add((meta.VlanTci, (meta.Flags & PacketFlags.VlanStripped) != 0));
            nexts[i] = To(Output.Out);
        }
    }
}
