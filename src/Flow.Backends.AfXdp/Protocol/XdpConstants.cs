namespace Flow.Backends.AfXdp.Protocol;

/// <summary>Numbers from linux/if_xdp.h, linux/socket.h and linux/bpf.h that AF_XDP uses.</summary>
internal static class XdpConstants
{
    public const int AfXdp = 44;
    public const int SolXdp = 283;

    // setsockopt / getsockopt names at SOL_XDP.
    public const int XdpMmapOffsets = 1;
    public const int XdpRxRing = 2;
    public const int XdpTxRing = 3;
    public const int XdpUmemReg = 4;
    public const int XdpUmemFillRing = 5;
    public const int XdpUmemCompletionRing = 6;
    public const int XdpStatistics = 7;
    public const int XdpOptions = 8;

    // sockaddr_xdp.sxdp_flags.
    public const ushort XdpSharedUmem = 1 << 0;
    public const ushort XdpCopy = 1 << 1;
    public const ushort XdpZeroCopy = 1 << 2;
    public const ushort XdpUseNeedWakeup = 1 << 3;

    /// <summary>Bit in a ring's flags word: the kernel sleeps until poked (poll/sendto/recvfrom).</summary>
    public const uint XdpRingNeedWakeup = 1 << 0;

    /// <summary>Bit in <c>struct xdp_options.flags</c>: the socket is bound in zero-copy mode.</summary>
    public const uint XdpOptionsZeroCopy = 1 << 0;

    // mmap page offsets selecting the ring.
    public const long PgoffRxRing = 0;
    public const long PgoffTxRing = 0x80000000;
    public const long UmemPgoffFillRing = 0x100000000;
    public const long UmemPgoffCompletionRing = 0x180000000;

    /// <summary>
    /// Bytes the kernel keeps in front of received data inside a chunk, after the UMEM
    /// headroom (XDP_PACKET_HEADROOM, include/uapi/linux/bpf.h), in copy and zero-copy mode.
    /// </summary>
    public const int XdpPacketHeadroom = 256;
}
