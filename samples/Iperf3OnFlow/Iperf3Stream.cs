using System.Net;
using Flow.Net.Tcp;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// One data stream of a test — a TCP connection or a UDP peer — with what crossed it, counted as
/// iperf3 counts (iperf_udp.c): bytes of every datagram, the highest packet count seen, gaps in
/// the counts as losses (an out-of-order datagram takes one back) and the RFC 1889 jitter.
/// </summary>
internal sealed class Iperf3Stream
{
    // UDP datagrams are counted on the server's receive loop while the test reads the totals.
    private readonly Lock _lock = new();
    private long _bytes;
    private long _packets;
    private long _errors;
    private long _outOfOrder;
    private double _jitterSeconds;
    private double _previousTransit;

    public Iperf3Stream(int id, FlowTcpStream? tcp, IPEndPoint? udpPeer)
    {
        Id = id;
        Tcp = tcp;
        UdpPeer = udpPeer;
    }

    /// <summary>The stream's number; both sides give them in connection order: 1, 3, 4, 5, … (iperf_api.c iperf_add_stream skips 2).</summary>
    public int Id { get; }

    public FlowTcpStream? Tcp { get; }

    public IPEndPoint? UdpPeer { get; }

    public long Bytes
    {
        get { lock (_lock) { return _bytes; } }
    }

    /// <summary>UDP: datagrams sent, or the highest packet count received.</summary>
    public long Packets
    {
        get { lock (_lock) { return _packets; } }
    }

    /// <summary>UDP datagrams lost: gaps in the counts less those that came late.</summary>
    public long Errors
    {
        get { lock (_lock) { return _errors; } }
    }

    public long OutOfOrder
    {
        get { lock (_lock) { return _outOfOrder; } }
    }

    public double JitterSeconds
    {
        get { lock (_lock) { return _jitterSeconds; } }
    }

    public void CountBytes(long bytes)
    {
        lock (_lock)
        {
            _bytes += bytes;
        }
    }

    public void CountSentDatagram(int length)
    {
        lock (_lock)
        {
            _bytes += length;
            _packets++;
        }
    }

    /// <summary>Counts a received test datagram that arrived at <paramref name="arrivalMicroseconds"/> (the clock of <see cref="Iperf3UdpHeader"/>).</summary>
    public void CountReceivedDatagram(ReadOnlySpan<byte> datagram, bool wideCounter, long arrivalMicroseconds)
    {
        if (!Iperf3UdpHeader.TryRead(datagram, wideCounter, out long sent, out long count))
        {
            return;
        }
        lock (_lock)
        {
            bool first = _bytes == 0;
            _bytes += datagram.Length;
            if (count > _packets)
            {
                _errors += count - 1 - _packets;
                _packets = count;
            }
            else
            {
                _outOfOrder++;
                if (_errors > 0)
                {
                    _errors--;
                }
            }
            double transit = (arrivalMicroseconds - sent) / 1e6;
            if (first)
            {
                _previousTransit = transit;
            }
            _jitterSeconds += (Math.Abs(transit - _previousTransit) - _jitterSeconds) / 16;
            _previousTransit = transit;
        }
    }
}
