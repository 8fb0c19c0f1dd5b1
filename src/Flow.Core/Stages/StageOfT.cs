using System.Runtime.CompilerServices;

namespace Flow;

/// <summary>
/// A stage that takes batches. <typeparamref name="TOutput"/> is a byte enum naming the output
/// ports (with <see cref="PortAttribute"/>s); <typeparamref name="TDrop"/> is a byte enum naming
/// drop reasons (with <see cref="DropReasonAttribute"/>s).
/// </summary>
public abstract class Stage<TOutput, TDrop> : Stage
    where TOutput : unmanaged, Enum
    where TDrop : unmanaged, Enum
{
    public sealed override bool IsSource => false;

    /// <summary>
    /// Decides where each packet goes: write <c>nexts[i]</c> for every <c>packets[i]</c>
    /// using <see cref="To"/>, <see cref="Drop"/> or <see cref="Next.Consumed"/>. Called once
    /// per batch on the stage's worker; must not allocate, lock, log or throw for bad input.
    /// </summary>
    /// <remarks>
    /// When most packets go one way, fill <paramref name="nexts"/> with that next first and write
    /// only the exceptions (<c>nexts.Slice(0, packets.Length).Fill(To(Output.Out))</c>, then
    /// <c>nexts[i] = Drop(...)</c> where one differs). The fill is two vector stores for a batch of
    /// 32 where a write per packet is 32 stores; the runtime reads the nexts back at once to see
    /// whether the batch moves whole, and that read waits for every store still in flight. In the
    /// <c>pipeline</c> benchmark this cut 0.6 ns per packet over three stages.
    /// </remarks>
    public abstract void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static Next To(TOutput port) => new(Unsafe.As<TOutput, byte>(ref port));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static Next Drop(TDrop reason) => new((ushort)(Next.DropBit | Unsafe.As<TDrop, byte>(ref reason)));

    /// <summary>
    /// Sends an extra packet (a copy this stage made, for flooding) out of a port now, in
    /// addition to the batch's own packets. Counted as emitted and as out on the port.
    /// </summary>
    protected void Emit(Packet packet, TOutput port) => EmitTo(packet, Unsafe.As<TOutput, byte>(ref port));

    /// <summary>
    /// Gives this instance its own output ports, one per name, each carrying what the declared
    /// port <paramref name="template"/> carries. For stages whose ports are configuration — a
    /// switch has one per member port — so graphs connect <c>"forward:uplink"</c> rather than a
    /// numbered port (STYLE D9). Port <c>i</c> is <see cref="Next.ToPort"/>(<c>i</c>); the
    /// declared ports no longer exist on this instance. Call it from the constructor: names are
    /// lower_snake and unique, and the stage must not be in a graph yet.
    /// </summary>
    protected void NamePorts(TOutput template, IReadOnlyList<string> names) =>
        UseInstancePorts(Unsafe.As<TOutput, byte>(ref template), names);

    /// <summary>
    /// Gives this instance its own output ports, each a copy of a declared port under a name of
    /// its own, in this order (port <c>i</c> is <see cref="Next.ToPort"/>(<c>i</c>)): for a stage
    /// whose configuration leaves some declared ports out. Call it from the constructor.
    /// </summary>
    protected void NamePorts(IReadOnlyList<(TOutput Template, string Name)> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        UseInstancePorts([.. ports.Select(p => ((int)Unsafe.As<TOutput, byte>(ref Unsafe.AsRef(in p.Template)), p.Name))]);
    }

    /// <summary>Counts drops of things that never reached this stage as packets.</summary>
    protected void CountDrop(TDrop reason, int count = 1) => CountDropWithoutPacket(Unsafe.As<TDrop, byte>(ref reason), count);

    internal sealed override void InvokeProcess(ReadOnlySpan<Packet> packets, Span<Next> nexts) => Process(packets, nexts);

    internal sealed override int InvokePoll(Span<Packet> packets, Span<Next> nexts) => 0;
}
