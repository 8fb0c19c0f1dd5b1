namespace Flow.Hosting.Live;

/// <summary>One stage a traced packet went through: where it went, when, and its headers before and after.</summary>
/// <param name="Packet">The trace's number for the packet (1, 2, ...).</param>
/// <param name="Timestamp">Stopwatch ticks when the stage finished its batch.</param>
/// <param name="Stage">The stage.</param>
/// <param name="Worker">The worker that ran it.</param>
/// <param name="Result">The port it left by, <c>drop: reason</c>, <c>sent</c> or <c>consumed</c>.</param>
/// <param name="Note">The stage's own note (<see cref="ITraceNote"/>), or null.</param>
/// <param name="Entry">Headers as the stage got the packet (null for a source).</param>
/// <param name="Exit">Headers as it left (null when the stage kept or sent it).</param>
internal sealed record TraceStep(int Packet, long Timestamp, string Stage, int Worker, string Result, string? Note, string? Entry, string? Exit);
