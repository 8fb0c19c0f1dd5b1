namespace Flow.Stages.Routing;

/// <summary>Outcome of a FIB or route-table update. Anything but the first four changed nothing.</summary>
public enum FibStatus : byte
{
    /// <summary>The prefix was new and is now in the table.</summary>
    Added,
    /// <summary>The prefix was there with another target, which the new one replaced.</summary>
    Replaced,
    /// <summary>The prefix was there with the same target: nothing to do.</summary>
    Unchanged,
    /// <summary>The prefix was removed; the next shorter prefix covers its range again.</summary>
    Deleted,
    /// <summary>Delete of a prefix that is not in the table.</summary>
    NotFound,
    /// <summary>
    /// A prefix longer than /24 needed a second-level (tbl8) group and none was free, counting
    /// those still waiting for readers to pass (<see cref="Ipv4Fib.Tbl8Exhausted"/> counts these).
    /// </summary>
    Tbl8Exhausted,
    /// <summary>The route table already holds its maximum number of prefixes.</summary>
    TableFull,
    /// <summary>The next-hop table (or an ECMP group's slots) is full.</summary>
    NextHopsExhausted,
}
