namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// A variant's delivery over its runs: frames the sender counted out, frames the receiver counted
/// in, both read after the sender stopped and the receiver's counter settled.
/// </summary>
internal sealed class DeliveryTally
{
    public long Sent { get; private set; }

    public long Received { get; private set; }

    public long Lost => Sent - Received;

    public void Add(long sent, long received)
    {
        Sent += sent;
        Received += received;
    }
}
