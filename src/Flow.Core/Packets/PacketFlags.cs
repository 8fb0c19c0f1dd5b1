namespace Flow;

/// <summary>Per-packet flags kept in <see cref="PacketMeta.Flags"/>.</summary>
[Flags]
public enum PacketFlags : ushort
{
    None = 0,
    /// <summary>L2 offset is valid.</summary>
    L2Valid = 1 << 0,
    /// <summary>L3 offset is valid.</summary>
    L3Valid = 1 << 1,
    /// <summary>L4 offset is valid.</summary>
    L4Valid = 1 << 2,
    /// <summary>The IP checksum was verified (by a stage or the backend).</summary>
    L3ChecksumGood = 1 << 3,
    /// <summary>The L4 checksum was verified.</summary>
    L4ChecksumGood = 1 << 4,
    /// <summary>The 802.1Q tag was removed from the data and is in <see cref="PacketMeta.VlanTci"/>.</summary>
    VlanStripped = 1 << 5,
    /// <summary>The frame continues in another frame (chained jumbo receive).</summary>
    Chained = 1 << 6,
    /// <summary>A packet trace follows this packet (<c>flow ctl trace start</c>); stages need not care.</summary>
    Traced = 1 << 7,
    /// <summary>First bit free for user stages.</summary>
    User0 = 1 << 12,
    User1 = 1 << 13,
    User2 = 1 << 14,
    User3 = 1 << 15,
}
