using System.Threading.Channels;

namespace Flow;

/// <summary>
/// A worker's control mailbox: any thread posts, the worker drains between batches. The
/// pending count lets the worker skip the channel entirely on passes with nothing to do.
/// </summary>
internal sealed class ControlQueue
{
    private readonly Channel<ControlItem> _channel = Channel.CreateUnbounded<ControlItem>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private int _pending;

    public bool HasPending => Volatile.Read(ref _pending) != 0;

    public void Post(ControlItem item)
    {
        if (!_channel.Writer.TryWrite(item))
        {
            item.Cancel(new InvalidOperationException("the graph has stopped"));
            return;
        }
        Interlocked.Increment(ref _pending);
    }

    /// <summary>Worker: runs every posted item; returns how many.</summary>
    public int Drain()
    {
        int n = 0;
        while (_channel.Reader.TryRead(out ControlItem? item))
        {
            Interlocked.Decrement(ref _pending);
            item.Execute();
            n++;
        }
        return n;
    }

    /// <summary>After the worker has ended: refuses new items and fails the ones left.</summary>
    public void Close(Exception reason)
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out ControlItem? item))
        {
            item.Cancel(reason);
        }
    }
}
