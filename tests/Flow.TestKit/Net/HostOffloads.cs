namespace Flow.TestKit;

/// <summary>Offload settings of the Linux hosts that face a Flow graph in tests and benchmarks.</summary>
public static class HostOffloads
{
    /// <summary>
    /// <c>ethtool -K dev tx off</c> through the ioctl (ethtool is not installed here): with
    /// checksum offload on, a veth hands AF_PACKET and AF_XDP UDP and TCP segments whose checksum
    /// holds only the pseudo-header sum, which a receiving host (or Flow's stack) rightly drops.
    /// </summary>
    public static void DisableTxChecksum(NetnsFixture ns, string device) =>
        ns.Exec(Shell.Python, "-c", $"""
            import ctypes, fcntl, socket, struct
            value = ctypes.create_string_buffer(struct.pack('II', 0x17, 0))   # ETHTOOL_STXCSUM, off
            request = struct.pack('16sQ16x', b'{device}', ctypes.addressof(value))
            fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8946, request)   # SIOCETHTOOL
            """);
}
