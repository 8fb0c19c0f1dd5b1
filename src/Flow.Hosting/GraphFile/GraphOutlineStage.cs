namespace Flow.Hosting;

/// <summary>A stage of a <see cref="GraphOutline"/>: instance name, type name and worker.</summary>
public sealed record GraphOutlineStage(string Name, string Type, int Worker);
