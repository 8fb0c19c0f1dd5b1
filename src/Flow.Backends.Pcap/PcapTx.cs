namespace Flow.Backends.Pcap;

/// <summary>
/// Writes every packet it receives to a pcap file (nanosecond timestamps by default, snap
/// length, rotation by size) and frees it: the end of a capture or a "record to file" graph.
/// Timestamps are the packet's <see cref="PacketMeta.Timestamp"/> when a backend set one,
/// else the wall clock when the batch arrived. No outputs; packets are consumed.
/// </summary>
/// <remarks>
/// Records reach the file when the buffer fills, every <see cref="PcapOptions.FlushIntervalMs"/>
/// (from <see cref="Tick"/>) and when the graph stops. Write errors do not stop the graph:
/// they are counted in <see cref="LostRecords"/> and described in <see cref="LastError"/>.
/// </remarks>
[Stage("pcap_tx", "Writes packets to a pcap file (ns timestamps, snap length, rotation) and frees them.")]
public sealed unsafe class PcapTx : Stage<NoOutput, NoDrop>, IDisposable
{
    private readonly PcapFileWriter _writer;

    public PcapTx(PcapOptions options) => _writer = new PcapFileWriter(options);

    /// <summary>Files written so far (read after the graph stopped).</summary>
    public IReadOnlyList<string> Files => _writer.Files;

    public long Records => _writer.Records;

    public long LostRecords => _writer.LostRecords;

    public string? LastError => _writer.LastError;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = Interop.Sys.RealtimeNanoseconds();
        PcapFileWriter writer = _writer;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            long timestamp = packet.Meta.Timestamp;
            writer.Append(packet.DataPointer, packet.Length, timestamp != 0 ? timestamp : now);
            nexts[i] = Next.Consumed;
        }
        PacketPools.Free(packets);
    }

    public override void Tick(long nowNanoseconds) => _writer.FlushIfDue(nowNanoseconds);

    public override void OnStop() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
