namespace Flow;

/// <summary>An output port: wire name, index, the packet type it carries, and what leaves on it.</summary>
public sealed record PortDescriptor(string Name, int Index, Type Carries, string Description);
