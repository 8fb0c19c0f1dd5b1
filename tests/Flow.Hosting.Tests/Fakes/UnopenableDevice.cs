namespace Flow.Hosting.Tests;

/// <summary>Stands for a backend whose device cannot be opened: its constructor throws an I/O error.</summary>
[Stage("unopenable_device", "Test source whose constructor fails like a backend with a missing device.")]
public sealed class UnopenableDevice : SourceStage<UnopenableDevice.Output, NoDrop>
{
    public UnopenableDevice() => throw new IOException("no such device 'veth-missing'");

    public enum Output : byte
    {
        Out,
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts) => 0;
}
