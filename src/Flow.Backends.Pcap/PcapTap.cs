namespace Flow.Backends.Pcap;

/// <summary>
/// "tcpdump inside the pipeline": put on any edge (<c>a:port → pcap_tap → b</c>, or
/// <see cref="PcapGraphBuilderExtensions.Capture"/>) to write what passes to a pcap file
/// without touching the stages on either side.
/// Output <c>out</c>: every packet, unchanged (same type as the input).
/// No drop reasons: capture problems never cost a packet; they are counted in
/// <see cref="LostRecords"/>.
/// </summary>
[Stage("pcap_tap", "Pass-through stage that writes every packet on its edge to a pcap file.")]
public sealed unsafe class PcapTap : Stage<PcapTap.Output, NoDrop>, IDisposable
{
    private readonly PcapFileWriter _writer;

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, unchanged")]
        Out,
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
    }

    public override void Tick(long nowNanoseconds) => _writer.FlushIfDue(nowNanoseconds);

    public override void OnStop() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
