namespace Flow;

/// <summary>A worker of a built graph, with the idle policy it actually runs (after any oversubscription fix).</summary>
public sealed record WorkerInfo(int Id, int? Cpu, IdlePolicy Idle);
