using Flow.Net.Tcp;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// The congestion controllers on a simulated connection that acknowledges a window's worth of data
/// every round trip: CUBIC (RFC 9438) cuts to 0.7 and, on a 100 ms round trip, is back at the
/// window of the loss after K = ∛(W_max·0.3/0.4) seconds, flat around it, faster beyond it; on a
/// 10 ms one it grows at least as Reno would; NewReno halves and grows one segment a round trip.
/// </summary>
public sealed class TcpCongestionTests
{
    private const int Mss = 1448;
    private const long LongRtt = 100_000_000;
    private const long ShortRtt = 10_000_000;

    private static TcpConnection Connection(int segments, long rtt) => new(new TcpKey(1, 1, 2, 2), 1 << 16, 1 << 16, listener: null)
    {
        Mss = Mss,
        Cwnd = (uint)(segments * Mss),
        SrttNs = rtt,
        RttMeasured = true,
    };

    /// <summary>Acknowledges a window each round trip from <paramref name="start"/> until <paramref name="until"/>; returns the window in segments.</summary>
    private static double Run(TcpConnection c, TcpCongestionControl control, long start, long until)
    {
        for (long now = start; now < until; now += c.SrttNs)
        {
            int window = (int)c.Cwnd;
            for (int acked = 0; acked < window; acked += Mss)
            {
                TcpCongestion.OnAvoidanceAck(c, Mss, now, control);
            }
        }
        return (double)c.Cwnd / Mss;
    }

    [Fact]
    public void CubicCutsToSevenTenthsAndIsBackAtTheWindowOfTheLossAfterK()
    {
        TcpConnection c = Connection(1000, LongRtt);
        uint threshold = TcpCongestion.OnLoss(c, 1000 * Mss, TcpCongestionControl.Cubic);
        Assert.Equal(700 * Mss, (int)threshold);
        c.Cwnd = threshold;
        double k = Math.Cbrt(1000 * 0.3 / 0.4);   // 9.09 s, 91 round trips

        double halfway = Run(c, TcpCongestionControl.Cubic, 0, (long)(k / 2 * 1e9));
        double atK = Run(c, TcpCongestionControl.Cubic, (long)(k / 2 * 1e9), (long)(k * 1e9));
        double beyond = Run(c, TcpCongestionControl.Cubic, (long)(k * 1e9), (long)(1.5 * k * 1e9));

        // Concave: most of the way back in the first half (W(K/2) = 962), then a plateau near W_max.
        Assert.InRange(halfway, 940, 990);
        Assert.InRange(atK, 990, 1010);
        // Convex beyond W_max: probing for more (W(1.5 K) = 1038).
        Assert.InRange(beyond, 1025, 1100);
    }

    [Fact]
    public void ALossBelowTheLastOneLowersTheTargetFurther()
    {
        TcpConnection c = Connection(1000, LongRtt);
        c.Cwnd = TcpCongestion.OnLoss(c, 1000 * Mss, TcpCongestionControl.Cubic);
        Run(c, TcpCongestionControl.Cubic, 0, 1_000_000_000);
        double before = (double)c.Cwnd / Mss;
        Assert.True(before < 1000, $"{before}");

        TcpCongestion.OnLoss(c, (int)c.Cwnd, TcpCongestionControl.Cubic);

        // RFC 9438 4.7: W_max = cwnd · (1 + β) / 2, below the window the loss happened at.
        Assert.Equal(before * 0.85, c.CubicMax, precision: 6);
    }

    [Fact]
    public void NewRenoHalvesAndGrowsOneSegmentARoundTrip()
    {
        TcpConnection c = Connection(1000, ShortRtt);
        uint threshold = TcpCongestion.OnLoss(c, 1000 * Mss, TcpCongestionControl.NewReno);
        Assert.Equal(500 * Mss, (int)threshold);
        c.Cwnd = threshold;

        double after = Run(c, TcpCongestionControl.NewReno, 0, 100 * ShortRtt);

        Assert.InRange(after, 599, 601);
    }

    [Fact]
    public void CubicIsNeverSlowerThanRenoWouldBe()
    {
        // A short round trip and a small window: Reno's one segment per round trip outruns the cubic curve.
        TcpConnection cubic = Connection(20, ShortRtt);
        cubic.Cwnd = TcpCongestion.OnLoss(cubic, 20 * Mss, TcpCongestionControl.Cubic);
        double grown = Run(cubic, TcpCongestionControl.Cubic, 0, 200 * ShortRtt);

        // The Reno-friendly estimate (RFC 9438 4.3): 14 + 0.53 segments a round trip, at least.
        Assert.True(grown >= 14 + 0.5 * 200, $"{grown}");
    }
}
