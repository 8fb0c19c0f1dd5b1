using System.Runtime.CompilerServices;

namespace Flow;

/// <summary>
/// A stage that produces packets (a backend's rx, a generator). Its worker polls it; a source
/// has no input.
/// </summary>
public abstract class SourceStage<TOutput, TDrop> : Stage
    where TOutput : unmanaged, Enum
    where TDrop : unmanaged, Enum
{
    public sealed override bool IsSource => true;

    /// <summary>
    /// Fills up to <paramref name="packets"/>.Length packets and a <paramref name="nexts"/> entry
    /// for each; returns how many. Must not block: return 0 when nothing is there.
    /// </summary>
    public abstract int Poll(Span<Packet> packets, Span<Next> nexts);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static Next To(TOutput port) => new(Unsafe.As<TOutput, byte>(ref port));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static Next Drop(TDrop reason) => new((ushort)(Next.DropBit | Unsafe.As<TDrop, byte>(ref reason)));

    /// <summary>
    /// Gives this instance its own output ports, one per name, each carrying what the declared
    /// port <paramref name="template"/> carries (as <see cref="Stage{TOutput, TDrop}"/>'s
    /// NamePorts does). Call it from the constructor.
    /// </summary>
    protected void NamePorts(TOutput template, IReadOnlyList<string> names) =>
        UseInstancePorts(Unsafe.As<TOutput, byte>(ref template), names);

    /// <summary>Counts drops of things that never became packets (invalid descriptors, pool empty).</summary>
    protected void CountDrop(TDrop reason, int count = 1) => CountDropWithoutPacket(Unsafe.As<TDrop, byte>(ref reason), count);

    internal sealed override void InvokeProcess(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        throw new InvalidOperationException($"source stage '{Name}' has no input");

    internal sealed override int InvokePoll(Span<Packet> packets, Span<Next> nexts) => Poll(packets, nexts);
}
