namespace Flow;

/// <summary>Packets sent out of one port.</summary>
public readonly record struct PortCount(string Port, long Packets);
