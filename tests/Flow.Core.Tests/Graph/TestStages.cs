namespace Flow.Core.Tests.Graph;

/// <summary>Splits tagged frames by sequence parity: even to <c>even</c>, odd to <c>odd</c>.</summary>
[Stage("parity_splitter", "Test stage: splits by the low bit of the sequence tag.", Accepts = typeof(Carries.Ethernet))]
public sealed class ParitySplitter : Stage<ParitySplitter.Output, ParitySplitter.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "even sequences")]
        Even,
        [Port(typeof(Carries.Ethernet), "odd sequences")]
        Odd,
    }

    public enum Reason : byte
    {
        [DropReason("frame too short to carry a tag")]
        Truncated,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            Span<byte> data = packets[i].Data;
            nexts[i] = data.Length < 26 ? Drop(Reason.Truncated) : (data[25] & 1) == 0 ? To(Output.Even) : To(Output.Odd);
        }
    }
}

/// <summary>Accepts only IPv4: used to provoke type mismatches.</summary>
[Stage("ipv4_only", "Test stage accepting IPv4 packets.", Accepts = typeof(Carries.Ipv4))]
public sealed class Ipv4Only : Stage<Ipv4Only.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "unchanged")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts.Slice(0, packets.Length).Fill(To(Output.Out));
}

/// <summary>Throws on its n-th batch.</summary>
[Stage("thrower", "Test stage that throws.")]
public sealed class Thrower(int throwOnBatch) : Stage<Thrower.Output, NoDrop>
{
    private int _batches;

    public enum Output : byte
    {
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (++_batches >= throwOnBatch)
        {
            throw new InvalidOperationException("boom");
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}

/// <summary>Sends each packet to <c>a</c> and a copy to <c>b</c> (flooding by copy).</summary>
[Stage("duplicator", "Test stage that floods a copy of each packet.")]
public sealed class Duplicator(PacketPool copies) : Stage<Duplicator.Output, Duplicator.Reason>
{
    public enum Output : byte
    {
        A,
        B,
    }

    public enum Reason : byte
    {
        [DropReason("no frame for the copy")]
        CopyFailed,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            if (copies.TryClone(packets[i], out Packet copy))
            {
                Emit(copy, Output.B);
            }
            else
            {
                CountDrop(Reason.CopyFailed);
            }
            nexts[i] = To(Output.A);
        }
    }
}

/// <summary>Holds a value changed only through the control mailbox; records the thread that ran it.</summary>
[Stage("settable", "Test stage with a control-plane setting.")]
public sealed class Settable : Stage<Settable.Output, NoDrop>
{
    public enum Output : byte
    {
        Out,
    }

    public int Setting { get; set; }

    public int LastThread { get; private set; }

    public int SeenWithSetting { get; private set; }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        LastThread = Environment.CurrentManagedThreadId;
        if (Setting != 0)
        {
            SeenWithSetting += packets.Length;
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}

/// <summary>Blocks its worker inside its first batch until the gate opens, so the ring in front of it fills.</summary>
public sealed class GateStage(ManualResetEventSlim gate) : Stage<GateStage.Output, NoDrop>
{
    public enum Output : byte
    {
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        gate.Wait(TimeSpan.FromSeconds(30));
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}

/// <summary>Writes an out-of-range next: the runtime must count it as invalid_next, not crash.</summary>
[Stage("liar", "Test stage that names a port it does not have.")]
public sealed class Liar : Stage<Liar.Output, NoDrop>
{
    public enum Output : byte
    {
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts.Slice(0, packets.Length).Fill(Next.ToPort(7));
}

/// <summary>Declares its outputs out of order (0, 2): its descriptor is refused at graph build.</summary>
[Stage("misnumbered", "Test stage whose output enum skips a value.")]
public sealed class Misnumbered : Stage<Misnumbered.Output, NoDrop>
{
    public enum Output : byte
    {
        First = 0,
        Third = 2,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts.Slice(0, packets.Length).Fill(To(Output.First));
}

/// <summary>
/// Counts each packet's passes in <see cref="PacketMeta.UserWord"/> (under a marker, so a stale
/// word from the pool counts as none): <c>again</c> until the packet has passed
/// <paramref name="passes"/> times, then <c>done</c>. Wired to itself by a feedback edge.
/// </summary>
[Stage("looper", "Test stage that sends each packet round a loop a fixed number of times.")]
public sealed class Looper(int passes) : Stage<Looper.Output, NoDrop>
{
    private const ulong Marker = 0xAB00_0000_0000_0000;

    public enum Output : byte
    {
        Again,
        Done,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            ref PacketMeta meta = ref packets[i].Meta;
            ulong seen = (meta.UserWord & Marker) == Marker ? meta.UserWord & 0xFFFF : 0;
            meta.UserWord = Marker | (seen + 1);
            nexts[i] = seen + 1 < (ulong)passes ? To(Output.Again) : To(Output.Done);
        }
    }
}
