namespace Flow.Backends.Pcap;

/// <summary>
/// "tcpdump inside the pipeline": put on any edge (<c>a:port → pcap_tap → b</c>, or
/// <see cref="PcapGraphBuilderExtensions.Capture"/>) to write what passes to a pcap file
/// without touching the stages on either side.
/// Output <c>out</c>: every packet, unchanged (same type as the input).
/// Drop reason <c>not_written</c>: capture records lost to an open or write error (a rotation
/// into a removed or read-only directory, a full disk). It counts records, not packets — the
/// packets still leave on <c>out</c> — and, like any drop of something that was not an input
/// packet, adds to the stage's In so the counts stay balanced. The graph keeps running; the
/// next file is retried from <see cref="Tick"/>, and <see cref="LastError"/> says what failed.
/// </summary>
[Stage("pcap_tap", "Pass-through stage that writes every packet on its edge to a pcap file.")]
public sealed unsafe class PcapTap : Stage<PcapTap.Output, PcapTap.Reason>, IDisposable
{
    private readonly PcapFileWriter _writer;

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, unchanged")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("a capture record could not be written to the pcap file (see LastError); the packet itself went on", Severity.Error)]
        NotWritten,
    }

    public PcapTap(PcapOptions options) => _writer = new PcapFileWriter(options);

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
            nexts[i] = To(Output.Out);
        }
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
