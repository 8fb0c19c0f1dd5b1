using Flow.TestKit;

namespace Flow.Integration.Tests.Router;

/// <summary>Offload settings of the Linux hosts in router tests (research 1.3).</summary>
internal static class HostOffloads
{
    /// <summary>
    /// <c>ethtool -K dev tx off</c> through the ioctl (ethtool is not installed here): with
    /// checksum offload on, a veth hands AF_PACKET and AF_XDP UDP and TCP segments whose checksum
    /// holds only the pseudo-header sum, and the receiving host drops what the router forwards.
    /// </summary>
    public static void DisableTxChecksum(NetnsFixture ns, string device) =>
        ns.Exec(Shell.Python, "-c", $"""
            import ctypes, fcntl, socket, struct
            value = ctypes.create_string_buffer(struct.pack('II', 0x17, 0))   # ETHTOOL_STXCSUM, off
            request = struct.pack('16sQ16x', b'{device}', ctypes.addressof(value))
            fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8946, request)   # SIOCETHTOOL
            """);
}
