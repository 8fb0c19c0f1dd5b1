using System.Buffers.Binary;
using System.Net;
using Flow.Protocols;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// Stands in for the router's forwarding path in the ARP tests: a source that, when asked from
/// the test thread, sends UDP packets from the router (10.0.0.1) to an address, as
/// <c>ipv4_output</c> hands them to <c>arp_resolve</c> — L3 offset 14 behind a blank Ethernet
/// header, NextHop the FIB's answer for the destination.
/// </summary>
[Stage("arp_test_injector", "Test source: UDP packets from the router to an address, NextHop set, on request.")]
internal sealed class ArpInjector(uint nextHop) : SourceStage<ArpInjector.Output, NoDrop>, IDisposable
{
    private readonly PacketPool _pool = PacketPool.Create(512, name: "arp_test_injector");
    private byte[] _datagram = [];
    private int _pending;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "UDP packets with NextHop set")]
        Out,
    }

    /// <summary>Asks for <paramref name="count"/> packets to <paramref name="destination"/>:<paramref name="port"/> carrying <paramref name="text"/>; call before the previous ones went out only with the same packet.</summary>
    public void Send(string destination, int port, string text, int count = 1)
    {
        byte[] payload = System.Text.Encoding.ASCII.GetBytes(text);
        var packet = new byte[14 + 20 + 8 + payload.Length];
        Span<byte> ip = packet.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(28 + payload.Length));
        ip[8] = 64;
        ip[9] = 17;
        IPAddress.Parse("10.0.0.1").GetAddressBytes().CopyTo(ip.Slice(12));
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(ip.Slice(16));
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), Checksum.Compute(ip.Slice(0, 20)).Host);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(22), (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(24), (ushort)(8 + payload.Length));
        payload.CopyTo(ip.Slice(28));
        Volatile.Write(ref _datagram, packet);
        Interlocked.Add(ref _pending, count);
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        byte[] datagram = Volatile.Read(ref _datagram);
        int n = 0;
        while (n < packets.Length && Volatile.Read(ref _pending) > 0 && _pool.TryAllocate(out Packet packet))
        {
            Interlocked.Decrement(ref _pending);
            packet.TrySetLength(datagram.Length);
            datagram.CopyTo(packet.Data);
            packet.Meta.L2Offset = 0;
            packet.Meta.L3Offset = 14;
            packet.Meta.Flags |= PacketFlags.L3Valid;
            packet.Meta.NextHop = nextHop;
            packets[n] = packet;
            nexts[n++] = To(Output.Out);
        }
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
