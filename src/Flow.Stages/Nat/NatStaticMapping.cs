namespace Flow.Stages.Nat;

/// <summary>A port mapping resolved from <see cref="NatPortMappingOptions"/>: addresses in host order.</summary>
public readonly record struct NatStaticMapping(byte Protocol, uint OutsideAddress, ushort OutsidePort, uint InsideAddress, ushort InsidePort);
