namespace Flow.Stages.Switching;

/// <summary>
/// One switch port's counters. The <see cref="Vlan.VlanClassifier"/> counts the receive side,
/// the <see cref="L2Forwarder"/> the send side; <see cref="SwitchControl"/> adds the two.
/// </summary>
/// <param name="Port">The port's name.</param>
/// <param name="Received">Frames that arrived on the port and were classified into a VLAN.</param>
/// <param name="ReceiveDrops">Frames that arrived on the port and were dropped by the classifier or the forwarder.</param>
/// <param name="SentUnicast">Frames forwarded to the port because their destination was learned there.</param>
/// <param name="SentFlooded">Frames (originals and copies) flooded to the port.</param>
public sealed record SwitchPortCounters(string Port, long Received, long ReceiveDrops, long SentUnicast, long SentFlooded)
{
    public SwitchPortCounters Add(SwitchPortCounters other) => this with
    {
        Received = Received + other.Received,
        ReceiveDrops = ReceiveDrops + other.ReceiveDrops,
        SentUnicast = SentUnicast + other.SentUnicast,
        SentFlooded = SentFlooded + other.SentFlooded,
    };
}
