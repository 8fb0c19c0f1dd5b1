using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Stages.Routing;

/// <summary>
/// One entry of the <see cref="NextHopTable"/>, what a next-hop id in a FIB entry or in
/// <see cref="PacketMeta.NextHop"/> stands for.
/// </summary>
/// <remarks>
/// <code>
///  0      1          2               4                               8
///  +------+----------+---------------+-------------------------------+
///  | Kind | SlotBits | Port          | Gateway (host order)          |
///  +------+----------+---------------+-------------------------------+  8
///  | Slots: ECMP redirection table, 2^SlotBits member ids (Multipath)|
///  +-----------------------------------------------------------------+ 16
/// </code>
/// Immutable while reachable: the table writes an entry before any FIB entry or group slot
/// names its id, and reuses the id only after readers have passed (see <see cref="NextHopTable"/>).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly unsafe struct NextHop
{
    public const int Size = 16;

    [FieldOffset(0)] private readonly NextHopKind _kind;
    [FieldOffset(1)] private readonly byte _slotBits;
    [FieldOffset(2)] private readonly ushort _port;
    [FieldOffset(4)] private readonly uint _gateway;
    [FieldOffset(8)] private readonly uint* _slots;

    internal NextHop(NextHopKind kind, ushort port, uint gateway, uint* slots = null, int slotBits = 0)
    {
        _kind = kind;
        _port = port;
        _gateway = gateway;
        _slots = slots;
        _slotBits = (byte)slotBits;
    }

    public NextHopKind Kind
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _kind;
    }

    /// <summary>Output port id (Via, Connected; the port owning the address for Local).</summary>
    public ushort Port => _port;

    /// <summary>Gateway address in host order (Via); 0 otherwise.</summary>
    public uint Gateway => _gateway;

    /// <summary>Multipath: number of redirection slots (a power of two).</summary>
    public int SlotCount => _kind == NextHopKind.Multipath ? 1 << _slotBits : 0;

    /// <summary>Multipath: the member id the flow hash selects (hash modulo the slot count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Member(uint hash) => _slots[hash & ((1u << _slotBits) - 1)];
}
