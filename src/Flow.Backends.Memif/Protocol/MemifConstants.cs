namespace Flow.Backends.Memif.Protocol;

/// <summary>
/// Protocol constants of memif version 2.0 (DPDK <c>drivers/net/memif/memif.h</c>, VPP
/// <c>src/plugins/memif/memif.h</c>).
/// </summary>
internal static class MemifConstants
{
    /// <summary>Written into every ring header by the client; the server refuses rings without it.</summary>
    public const uint Cookie = 0x3E31F20;

    /// <summary>(major &lt;&lt; 8) | minor: version 2.0.</summary>
    public const ushort Version = (2 << 8) | 0;

    /// <summary>Bytes of the names in HELLO, INIT, CONNECT and CONNECTED.</summary>
    public const int NameSize = 32;

    /// <summary>Bytes of the secret in INIT.</summary>
    public const int SecretSize = 24;

    /// <summary>Bytes of the reason string in DISCONNECT.</summary>
    public const int DisconnectReasonSize = 96;

    /// <summary>Every control message is exactly this long (one SOCK_SEQPACKET record).</summary>
    public const int MessageSize = 128;

    /// <summary>Ring header size: three 64-byte cache lines marks, descriptors start at the third.</summary>
    public const int RingHeaderSize = 128;

    /// <summary>
    /// Cache line used by the ring layout. DPDK aligns with RTE_CACHE_LINE_SIZE, which is 64 on
    /// x86-64 (the only target Flow's memif is tested on); a peer built with 128-byte lines would
    /// disagree about where <c>tail</c> lives.
    /// </summary>
    public const int CacheLineSize = 64;

    /// <summary>Largest log2 ring size memif allows (DPDK <c>rsize</c> 1..14).</summary>
    public const int MaxLog2RingSize = 14;

    /// <summary>Flag in <see cref="MemifAddRing.Flags"/>: the ring carries client→server (S2M) traffic.</summary>
    public const ushort AddRingFlagS2M = 1;

    /// <summary>Flag in <see cref="MemifDescriptor.Flags"/>: the packet continues in the next descriptor.</summary>
    public const ushort DescriptorFlagNext = 1;

    /// <summary>Flag in <see cref="MemifRingHeader.Flags"/>, set by the receiver: do not signal the eventfd (polling).</summary>
    public const ushort RingFlagMaskInterrupt = 1;

    /// <summary>Interface mode in INIT; Flow (like DPDK) supports Ethernet only.</summary>
    public const byte ModeEthernet = 0;
}
