using System.Diagnostics.CodeAnalysis;

namespace Flow.Stages.Ipv4.Internal;

/// <summary>
/// What a router stage keeps to follow the <see cref="InterfaceAddressBook"/>: its configured
/// interfaces and the snapshot it last applied. Checked from the stage's <see cref="Stage.Tick"/>
/// (a batch boundary); a stage without a DHCP-addressed interface never looks.
/// </summary>
internal sealed class InterfaceWatch
{
    private readonly IReadOnlyList<RouterInterfaceOptions> _configured;
    private readonly InterfaceAddressBook? _book;
    private InterfaceAddressBook.Snapshot? _seen;

    public InterfaceWatch(IReadOnlyList<RouterInterfaceOptions> configured, InterfaceAddressBook? book)
    {
        _configured = configured;
        // Only a DHCP-addressed interface changes at run time.
        _book = configured.Any(static i => i.UsesDhcp) ? book : null;
    }

    /// <summary>The interface table with the addresses learned since the last call, when they changed.</summary>
    public bool TryGetChanged([NotNullWhen(true)] out RouterInterfaceTable? table)
    {
        table = null;
        if (_book is null)
        {
            return false;
        }
        InterfaceAddressBook.Snapshot now = _book.Current;
        if (ReferenceEquals(now, _seen))
        {
            return false;
        }
        _seen = now;
        table = RouterInterfaceTable.Create(InterfaceAddressBook.Apply(_configured, now));
        return true;
    }
}
