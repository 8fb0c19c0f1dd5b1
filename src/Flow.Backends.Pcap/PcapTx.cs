namespace Flow.Backends.Pcap;

/// <summary>
/// Writes every packet it receives to a pcap file (nanosecond timestamps by default, snap
/// length, rotation by size) and frees it: the end of a capture or a "record to file" graph.
/// Timestamps are the packet's <see cref="PacketMeta.Timestamp"/> when a backend set one,
/// else the wall clock when the batch arrived. No outputs; packets are consumed.
/// </summary>
/// <remarks>
/// Records reach the file when the buffer fills, every <see cref="PcapOptions.FlushIntervalMs"/>
/// (from <see cref="Tick"/>) and when the graph stops. Open and write errors (a rotation into a
/// removed or read-only directory, a full disk) do not stop the graph: the records are counted
/// as drops of reason <c>not_written</c> and in <see cref="LostRecords"/>, described in
/// <see cref="LastError"/>, and the next file is retried from <see cref="Tick"/>. The packets
/// themselves were consumed, so these drops add to the stage's In as well.
/// </remarks>
[Stage("pcap_tx", "Writes packets to a pcap file (ns timestamps, snap length, rotation) and frees them.", Transmits = true)]
public sealed unsafe class PcapTx : Stage<NoOutput, PcapTx.Reason>, IDisposable
{
    private readonly PcapFileWriter _writer;

    public enum Reason : byte
    {
        [DropReason("a record could not be written to the pcap file (see LastError)", Severity.Error)]
        NotWritten,
    }

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
        CountLost();
    }

    public override void Tick(long nowNanoseconds)
    {
        _writer.Tick(nowNanoseconds);
        CountLost();
    }

    public override void OnStop()
    {
        _writer.Flush();
        CountLost();
    }

    private void CountLost()
    {
        int lost = _writer.TakeUnreportedLost();
        if (lost != 0)
        {
            CountDrop(Reason.NotWritten, lost);
        }
    }

    public void Dispose() => _writer.Dispose();
}
