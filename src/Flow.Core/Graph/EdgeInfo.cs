namespace Flow;

/// <summary>
/// An edge of a built graph; <see cref="RingCapacity"/> is 0 for an edge within one worker that
/// is not a <see cref="Feedback"/> edge (those go through a ring on their worker).
/// </summary>
public sealed record EdgeInfo(string From, string Port, string To, int RingCapacity, bool BackPressure, bool Feedback = false);
