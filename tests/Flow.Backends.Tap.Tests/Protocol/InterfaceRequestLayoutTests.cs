using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace Flow.Backends.Tap.Tests.Protocol;

public class InterfaceRequestLayoutTests
{
    [Fact]
    public void IfreqIs40BytesWithTheUnionAfterTheName()
    {
        Assert.Equal(40, Unsafe.SizeOf<InterfaceRequest>());
        Assert.Equal(16, (int)Marshal.OffsetOf<InterfaceRequest>(nameof(InterfaceRequest.Flags)));
        Assert.Equal(16, (int)Marshal.OffsetOf<InterfaceRequest>(nameof(InterfaceRequest.Mtu)));
        Assert.Equal(16, (int)Marshal.OffsetOf<InterfaceRequest>(nameof(InterfaceRequest.HardwareFamily)));
        Assert.Equal(18, (int)Marshal.OffsetOf<InterfaceRequest>(nameof(InterfaceRequest.HardwareAddress)));
    }

    [Fact]
    public void TheNameIsNulTerminatedAndReadBack()
    {
        InterfaceRequest request = InterfaceRequest.For("flowtap123456789"[..15]);
        Assert.Equal("flowtap12345678", request.NameString);
    }
}
