namespace Flow;

/// <summary>Packets dropped for one reason.</summary>
public readonly record struct DropCount(string Reason, string Description, Severity Severity, long Packets);
