using System.Runtime.CompilerServices;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// One data-path reader of an <see cref="Ipv4RouteTable"/> (a worker's <c>ipv4_lookup</c>, a
/// benchmark thread). Wrap each batch of lookups in <see cref="Enter"/> … <see cref="Exit"/>:
/// between the two the reader may hold tbl8 groups and next hops that the control thread has
/// just unlinked, and the table does not reuse them until the reader has exited
/// (see <c>Internal/ReaderEpochs.cs</c> for the scheme). Not shared between threads.
/// </summary>
public sealed unsafe class FibReader : IDisposable
{
    private readonly ReaderEpochs _epochs;
    private long* _slot;

    internal FibReader(ReaderEpochs epochs)
    {
        _epochs = epochs;
        _slot = epochs.Register();
    }

    /// <summary>Starts a batch: the table's memory seen from now on stays valid until <see cref="Exit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        long epoch = Volatile.Read(ref _epochs.EpochRef);
        // A full fence, not a release store: the slot must be visible before this batch's table
        // reads, or the writer could miss us and reuse a group we are about to read.
        Interlocked.Exchange(ref *_slot, (epoch << 1) | 1);
    }

    /// <summary>Ends a batch: the reader holds nothing of the table any more (a quiescent point).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Volatile.Write(ref *_slot, 0);

    public void Dispose()
    {
        if (_slot != null)
        {
            _epochs.Release(_slot);
            _slot = null;
        }
    }
}
