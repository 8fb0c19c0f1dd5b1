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

    /// <summary>Counts drops of things that never reached this stage as packets.</summary>
    protected void CountDrop(TDrop reason, int count = 1) => CountDropWithoutPacket(Unsafe.As<TDrop, byte>(ref reason), count);

    internal sealed override void InvokeProcess(ReadOnlySpan<Packet> packets, Span<Next> nexts) => Process(packets, nexts);

    internal sealed override int InvokePoll(Span<Packet> packets, Span<Next> nexts) => 0;
}
