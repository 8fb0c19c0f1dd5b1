namespace Flow;

/// <summary>A placed stage: instance name, type name, worker, and the instance.</summary>
public sealed record StageInfo(string Name, string Type, int Worker, Stage Stage);
