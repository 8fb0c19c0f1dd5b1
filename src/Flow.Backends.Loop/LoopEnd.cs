namespace Flow.Backends.Loop;

/// <summary>One end of a <see cref="LoopWire"/>: the ring it sends into and the ring it receives from.</summary>
public sealed class LoopEnd
{
    internal LoopEnd(LoopWire wire, string name, SpscRing<Packet> transmit, SpscRing<Packet> receive)
    {
        Wire = wire;
        Name = name;
        Transmit = transmit;
        Receive = receive;
    }

    public LoopWire Wire { get; }

    /// <summary>"a" or "b".</summary>
    public string Name { get; }

    internal SpscRing<Packet> Transmit { get; }

    internal SpscRing<Packet> Receive { get; }

    /// <summary>Packets waiting for this end's receiver (racy snapshot).</summary>
    public int Pending => Receive.Count;

    public override string ToString() => $"{Wire.Name}.{Name}";
}
