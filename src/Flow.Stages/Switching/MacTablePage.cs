namespace Flow.Stages.Switching;

/// <summary>
/// A slice of the MAC table read in one control message (<see cref="MacLearner.GetEntries"/>),
/// in table order.
/// </summary>
/// <param name="Entries">The entries found.</param>
/// <param name="Next">The slot to read on from; null when the table's end was reached.</param>
/// <param name="Count">Entries in the whole table when the slice was read.</param>
public sealed record MacTablePage(IReadOnlyList<MacEntry> Entries, int? Next, int Count);
