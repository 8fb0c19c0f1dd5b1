using System.Net;
using Flow.Net.Internal;
using Flow.Protocols.Udp;

namespace Flow.Net.Udp;

/// <summary>
/// A received datagram, still in the frame it arrived in: no copy between the wire and the
/// application. Dispose it to give the frame back to its port; until then it counts against the
/// port's pool, so keep it briefly.
/// </summary>
/// <remarks>
/// Offsets and the sender come from the packet's metadata, which <c>udp_receive</c> wrote after
/// validating the datagram; the frame may be memory a peer can still write (a memif region), so
/// nothing here re-reads a length from it.
/// </remarks>
public readonly struct FlowDatagram : IDisposable
{
    private readonly Packet _packet;

    internal FlowDatagram(Packet packet) => _packet = packet;

    /// <summary>The data, after the UDP header.</summary>
    public ReadOnlySpan<byte> Payload => _packet.Data.Slice(_packet.Meta.L4Offset + UdpHeader.Size);

    /// <summary>The sender's address, host byte order.</summary>
    public uint RemoteAddress => (uint)(_packet.Meta.UserWord >> 16);

    public ushort RemotePort => (ushort)_packet.Meta.UserWord;

    /// <summary>The sender as an endpoint (allocates; <see cref="RemoteAddress"/> and <see cref="RemotePort"/> do not).</summary>
    public IPEndPoint RemoteEndPoint => new(FlowEndPoints.Address(RemoteAddress), RemotePort);

    /// <summary>Copies as much of the data as fits <paramref name="destination"/> (the rest is lost, as with a short buffer on any UDP socket); returns how many bytes.</summary>
    public int CopyTo(Span<byte> destination)
    {
        ReadOnlySpan<byte> payload = Payload;
        int n = Math.Min(payload.Length, destination.Length);
        payload.Slice(0, n).CopyTo(destination);
        return n;
    }

    /// <summary>Gives the frame back. Call once.</summary>
    public void Dispose()
    {
        if (!_packet.IsNull)
        {
            PacketPools.Free(_packet);
        }
    }
}
