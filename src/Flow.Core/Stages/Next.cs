using System.Runtime.CompilerServices;

namespace Flow;

/// <summary>
/// Where one packet goes after a stage: an output port, a drop with a reason, or "consumed"
/// (the stage took ownership: it transmitted, queued or freed the packet itself). Stages write
/// one per packet (VPP's <c>nexts[]</c>); the runtime moves the packets once per batch.
/// </summary>
public readonly struct Next : IEquatable<Next>
{
    internal const ushort DropBit = 0x8000;
    internal const ushort ConsumedValue = 0xFFFF;

    internal readonly ushort Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Next(ushort value) => Value = value;

    /// <summary>The stage keeps the packet; the runtime forgets it.</summary>
    public static Next Consumed => new(ConsumedValue);

    /// <summary>Output port by index (declaration order of the stage's Output enum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Next ToPort(int port) => new((ushort)port);

    /// <summary>Drop with a reason by index (declaration order of the stage's reason enum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Next DropFor(int reason) => new((ushort)(DropBit | reason));

    public bool IsDrop => (Value & DropBit) != 0 && Value != ConsumedValue;

    public bool IsConsumed => Value == ConsumedValue;

    public bool IsPort => (Value & DropBit) == 0;

    public int Port => IsPort ? Value : -1;

    public int DropReason => IsDrop ? Value & ~DropBit : -1;

    public bool Equals(Next other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Next other && Equals(other);

    public override int GetHashCode() => Value;

    public static bool operator ==(Next left, Next right) => left.Value == right.Value;

    public static bool operator !=(Next left, Next right) => left.Value != right.Value;

    public override string ToString() => IsConsumed ? "consumed" : IsDrop ? $"drop({DropReason})" : $"port({Port})";
}
