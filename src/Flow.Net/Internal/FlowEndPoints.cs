using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Flow.Net.Internal;

/// <summary>IPv4 addresses between .NET's <see cref="IPAddress"/> and the host-order numbers the stack keeps.</summary>
internal static class FlowEndPoints
{
    public static uint HostOrder(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out int written) && written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
    }

    public static IPAddress Address(uint hostOrder) => new(BinaryPrimitives.ReverseEndianness(hostOrder));

    /// <summary>The IPv4 endpoint <paramref name="endPoint"/> is, or <see cref="SocketError.AddressFamilyNotSupported"/>: the stack is IPv4 only.</summary>
    public static IPEndPoint AsIPv4(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint is not IPEndPoint ip || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }
        return ip;
    }
}
