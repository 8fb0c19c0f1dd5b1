using System.Buffers.Binary;
using System.Net;

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
}
