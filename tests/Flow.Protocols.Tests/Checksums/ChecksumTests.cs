using System.Runtime.Intrinsics;
using Flow.TestKit;

namespace Flow.Protocols.Tests.Checksums;

/// <summary>
/// The vectorised checksum against a naive word-by-word model. CI runs this project with
/// AVX2 and all hardware intrinsics disabled too, so each path meets the same oracle.
/// </summary>
public sealed class ChecksumTests
{
    [Fact]
    public void SumsTheRfc1071Example()
    {
        // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, Checksum.Sum(data));
        Assert.Equal(0x220d, Checksum.Compute(data).Host);
    }

    [Fact]
    public void MatchesNaiveModelForEveryLengthUpTo1100AtEveryAlignment()
    {
        var random = new Random(1071);
        byte[] data = new byte[1100 + 8];
        random.NextBytes(data);
        for (int offset = 0; offset < 4; offset++)
        {
            for (int length = 0; length <= 1100; length++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.Equal(NaiveSum(slice), Checksum.Sum(slice));
            }
        }
    }

    [Theory]
    [InlineData(9000)]
    [InlineData(65535)]
    [InlineData(3 * 1024 * 1024 + 7)]
    public void MatchesNaiveModelOnLongAllOnesBuffersThatStressLaneOverflow(int length)
    {
        byte[] data = new byte[length];
        Array.Fill(data, (byte)0xFF);
        Assert.Equal(NaiveSum(data), Checksum.Sum(data));
        new Random(length).NextBytes(data);
        Assert.Equal(NaiveSum(data), Checksum.Sum(data));
    }

    [Fact]
    public void ReadsNothingPastTheEndOfTheBuffer()
    {
        using var guarded = new GuardedBuffer(4096);
        var random = new Random(7);
        for (int length = 0; length <= 300; length++)
        {
            Span<byte> tail = guarded.Tail(length);
            random.NextBytes(tail);
            Assert.Equal(NaiveSum(tail), Checksum.Sum(tail));
        }
    }

    [Fact]
    public void ValidatesDataWhoseChecksumFieldIsFilledIn()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        NetU16 checksum = Checksum.Compute(header);
        Assert.Equal(0xb861, checksum.Host);
        header[10] = (byte)(checksum.Host >> 8);
        header[11] = (byte)checksum.Host;
        Assert.True(Checksum.IsValid(header));
    }

    [Fact]
    public void VectorPathsMatchTheEnvironmentTheTestsRunIn()
    {
        // Makes the three CI runs visible: the default run must take the vector paths this CPU
        // has, the re-runs with DOTNET_EnableAVX2=0 / DOTNET_EnableHWIntrinsic=0 must not.
        bool intrinsicsOff = Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0";
        bool avx2Off = intrinsicsOff || Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0";
        Assert.Equal(!intrinsicsOff, Vector128.IsHardwareAccelerated);
        Assert.Equal(!avx2Off && CpuHasAvx2(), Vector256.IsHardwareAccelerated);
    }

    /// <summary>What the CPU offers, read from the kernel rather than from the runtime under test.</summary>
    private static bool CpuHasAvx2() =>
        File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal))
            .Split(' ').Contains("avx2");

    /// <summary>RFC 1071 taken literally: big-endian words, 32-bit accumulator, fold at the end.</summary>
    internal static ushort NaiveSum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
