namespace Flow;

/// <summary>An edge of a built graph; <see cref="RingCapacity"/> is 0 for an edge within one worker.</summary>
public sealed record EdgeInfo(string From, string Port, string To, int RingCapacity, bool BackPressure);
