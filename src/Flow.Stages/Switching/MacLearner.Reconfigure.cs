namespace Flow.Stages.Switching;

// A reload's changed config, taken live: the aging time, the overflow policy and the per-port
// and per-VLAN limits change for the entries already learned too; the table's size and whether
// it counts entries per port or VLAN are fixed at construction (a change there replaces the stage).
public sealed partial class MacLearner : IReconfigurableStage
{
    private readonly int _maxEntries;

    string? IReconfigurableStage.CheckReconfigure(object options)
    {
        if (options is not MacLearnerOptions next)
        {
            return "not mac_learner options";
        }
        if (next.MaxEntries != _maxEntries)
        {
            return $"max_entries changes the table's size ({_maxEntries} to {next.MaxEntries})";
        }
        if ((next.MaxEntriesPerPort != 0) != (_portLimit != 0) || (next.MaxEntriesPerVlan != 0) != (_vlanLimit != 0))
        {
            return "a per-port or per-VLAN limit is switched on or off (the table counts per port or VLAN only when made with one)";
        }
        return next.AgingTime < TimeSpan.Zero || next.MaxEntriesPerPort < 0 || next.MaxEntriesPerVlan < 0 || !Enum.IsDefined(next.Overflow)
            ? "the options are not valid"
            : null;
    }

    void IReconfigurableStage.Reconfigure(object options) => UseLiveOptions((MacLearnerOptions)options);

    private void UseLiveOptions(MacLearnerOptions options)
    {
        _portLimit = options.MaxEntriesPerPort;
        _vlanLimit = options.MaxEntriesPerVlan;
        _overflow = options.Overflow;
        _agingNanoseconds = options.AgingTime.Ticks * 100;
        _scanIntervalNanoseconds = _agingNanoseconds == 0 ? long.MaxValue : Math.Min(MaxScanIntervalNanoseconds, Math.Max(1, _agingNanoseconds / 8));
    }
}
