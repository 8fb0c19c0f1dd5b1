namespace Flow.Hosting.Tests;

/// <summary>Keeps every packet it receives (counted as consumed) until the graph stops: exhausts upstream pools on purpose.</summary>
[Stage("hoarder", "Test sink holding packets until stop.")]
public sealed class Hoarder : Stage<NoOutput, NoDrop>
{
    private readonly List<Packet> _held = [];

    public int Held => _held.Count;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            _held.Add(packets[i]);
            nexts[i] = Next.Consumed;
        }
    }

    public override void OnStop()
    {
        PacketPools.Free(_held.ToArray());
        _held.Clear();
    }
}
