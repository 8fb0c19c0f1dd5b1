using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>Unique device names and prerequisite checks for the DPDK tests.</summary>
internal static class Devices
{
    private static int s_next;

    /// <summary>A vdev name no other test of this process uses: DPDK probes a name once.</summary>
    public static string Unique(string driver) => $"{driver}_t{Interlocked.Increment(ref s_next)}";

    /// <summary>Fails (never skips) when DPDK cannot run here, saying why.</summary>
    public static void Require()
    {
        Shell.RequireRootAnd("ip");
        Assert.True(DpdkEal.IsSupported, $"DPDK backend not usable: {DpdkEal.NotSupportedReason}");
    }

    /// <summary>Frames of distinct lengths and contents: bytes at the receiver prove what arrived.</summary>
    public static byte[] Frame(int sequence, int length)
    {
        var frame = new byte[length];
        // Locally administered unicast MACs, a local experimental ethertype, then a pattern.
        byte[] header = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xB5];
        header.CopyTo(frame, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(14), sequence);
        for (int i = 18; i < length; i++)
        {
            frame[i] = (byte)(sequence * 7 + i);
        }
        return frame;
    }
}
