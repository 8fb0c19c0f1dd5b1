namespace Flow;

/// <summary>What a reload (<see cref="FlowGraph.ReplaceAsync"/>) did, stage by stage, and what it cost.</summary>
/// <param name="Kept">Stages that kept running with their state, counters and in-flight packets.</param>
/// <param name="Reconfigured">Kept stages that took a changed config live (<see cref="IReconfigurableStage"/>).</param>
/// <param name="Replaced">Stages whose name stayed but whose type or config changed: stopped, disposed and made anew.</param>
/// <param name="Added">Stages new in this version.</param>
/// <param name="Removed">Stages gone in this version (stopped and disposed).</param>
/// <param name="PacketsLost">
/// Packets in flight that had nowhere to go: queued at a stage that was replaced or removed, or
/// on a ring whose edge is gone. Freed and counted; none for paths the reload left unchanged.
/// </param>
/// <param name="Pause">How long no source was polled: the quiet period before the switch plus the switch itself.</param>
public sealed record GraphReload(
    IReadOnlyList<string> Kept,
    IReadOnlyList<string> Reconfigured,
    IReadOnlyList<string> Replaced,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    long PacketsLost,
    TimeSpan Pause)
{
    /// <summary>One line for a log or a control reply.</summary>
    public string Summary() =>
        $"kept {Kept.Count}, reconfigured {Reconfigured.Count}, replaced {Replaced.Count}, added {Added.Count}, removed {Removed.Count} stages; " +
        $"{PacketsLost} packets lost; sources paused {Pause.TotalMilliseconds:0.###} ms" +
        List("reconfigured", Reconfigured) + List("replaced", Replaced) + List("added", Added) + List("removed", Removed);

    private static string List(string what, IReadOnlyList<string> names) =>
        names.Count == 0 ? "" : $"; {what}: {string.Join(", ", names)}";
}
