using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Icmp;

/// <summary>
/// icmp_error's token buckets (RFC 1812 4.3.2.8) driven by a manual clock: the global bucket
/// (Linux icmp_msgs_per_sec/icmp_msgs_burst), the per-destination one (icmp_ratelimit with
/// inetpeer's burst), their order, and the fragmentation-needed exemption.
/// </summary>
public sealed class IcmpErrorRateLimitTests : IDisposable
{
    private static readonly byte[] s_template =
        ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/UDP(dport=33434)");

    private readonly LeakCheckingPool _pool = new(512);
    private readonly ManualClock _clock = new();
    private StageHarness? _harness;

    public void Dispose()
    {
        if (_harness is not null)
        {
            Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
            _harness.Dispose();
        }
        _pool.Dispose();
    }

    private IcmpErrorSender Start(IcmpErrorSenderOptions options)
    {
        var sender = new IcmpErrorSender(options with { Interfaces = Interfaces() }, _clock);
        _harness = new StageHarness(sender, "icmp_error");
        return sender;
    }

    /// <summary>Sends <paramref name="count"/> errors' worth of packets from <paramref name="source"/>(i); returns how many errors left.</summary>
    private int Send(int count, Func<int, uint> source, ulong request = IcmpErrorRequest.TimeExceeded)
    {
        var packets = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            byte[] frame = (byte[])s_template.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(26), source(i));
            frame[24] = frame[25] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), Checksum.Compute(frame.AsSpan(14, 20)).Host);
            packets[i] = _pool.Classified(Lan, frame);
            packets[i].Meta.UserWord = request;
        }
        _harness!.Process(packets);
        Packet[] errors = _harness.Take("error");
        PacketPools.Free(errors);
        return errors.Length;
    }

    // 198.18.0.0/15 (RFC 2544 benchmarking): no attached prefix, so no source is a subnet broadcast.
    private static uint Host(int n) => 0xC612_0000u | (uint)(n + 1);

    private long Dropped(string reason) => _harness!.Stats.DroppedFor(reason);

    [Fact]
    public void DefaultsAreLinuxs()
    {
        var options = new IcmpErrorSenderOptions();
        Assert.Equal((1000, 50), (options.GlobalPerSecond, options.GlobalBurst));
        Assert.Equal((TimeSpan.FromSeconds(1), 6), (options.PerDestinationInterval, options.PerDestinationBurst));
        Assert.Equal(4096, options.Destinations);
    }

    [Fact]
    public void TheGlobalBucketGivesItsBurstThenItsRate()
    {
        IcmpErrorSender sender = Start(new IcmpErrorSenderOptions { PerDestinationInterval = TimeSpan.Zero });
        Assert.Equal(50, Send(200, Host));
        Assert.Equal(150, Dropped("rate_limited"));
        Assert.Equal(0, sender.GlobalTokens);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, Send(100, Host));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(50, Send(100, Host));
        Assert.Equal(110, sender.GetCounters().TimeExceeded);
    }

    [Fact]
    public void AFloodOfTenKppsForASecondYieldsBurstPlusRateAndCountsTheRest()
    {
        Start(new IcmpErrorSenderOptions { PerDestinationInterval = TimeSpan.Zero });
        int sent = 0;
        for (int ms = 0; ms < 1000; ms++)
        {
            sent += Send(10, i => Host(ms * 10 + i));
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        // 50 at once, then one per millisecond for the 999 that followed.
        Assert.Equal(50 + 999, sent);
        Assert.Equal(10_000 - sent, Dropped("rate_limited"));
    }

    [Fact]
    public void EachDestinationGetsABurstOfSixThenOnePerSecond()
    {
        Start(new IcmpErrorSenderOptions { GlobalPerSecond = 0 });
        Assert.Equal(6, Send(10, _ => Host(0)));
        Assert.Equal(4, Dropped("rate_limited_destination"));
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, Send(1, _ => Host(0)));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Send(3, _ => Host(0)));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(6, Send(10, _ => Host(0)));
    }

    [Fact]
    public void DestinationsAreLimitedApart()
    {
        Start(new IcmpErrorSenderOptions { GlobalPerSecond = 0 });
        Assert.Equal(12, Send(20, i => Host(i % 2)));
        Assert.Equal(8, Dropped("rate_limited_destination"));
    }

    [Fact]
    public void ALimitedDestinationDoesNotSpendTheGlobalBudget()
    {
        Start(new IcmpErrorSenderOptions { GlobalPerSecond = 1, GlobalBurst = 5, PerDestinationBurst = 1 });
        Assert.Equal(1, Send(10, _ => Host(0)));
        Assert.Equal(9, Dropped("rate_limited_destination"));
        Assert.Equal(4, Send(4, i => Host(1 + i)));
        Assert.Equal(0, Send(1, _ => Host(9)));
        Assert.Equal(1, Dropped("rate_limited"));
    }

    [Fact]
    public void FragmentationNeededIsNotRateLimited()
    {
        IcmpErrorSender sender = Start(new IcmpErrorSenderOptions { GlobalBurst = 1, PerDestinationBurst = 1 });
        Assert.Equal(100, Send(100, _ => Host(0), IcmpErrorRequest.FragmentationNeeded(1280)));
        Assert.Equal(100, sender.GetCounters().FragmentationNeeded);
    }

    [Fact]
    public void SetRateLimitsReplacesTheBucketsAndRefusesBadValues()
    {
        IcmpErrorSender sender = Start(new IcmpErrorSenderOptions { GlobalBurst = 1, PerDestinationInterval = TimeSpan.Zero });
        Assert.Equal(1, Send(5, Host));
        sender.SetRateLimits(new IcmpErrorSenderOptions { GlobalPerSecond = 0, PerDestinationInterval = TimeSpan.Zero });
        Assert.Equal(5, Send(5, Host));
        Assert.Equal(2, sender.Options.Interfaces.Count);
        var e = Assert.Throws<RouterConfigurationException>(() => sender.SetRateLimits(new IcmpErrorSenderOptions { GlobalBurst = 0, Destinations = 0 }));
        Assert.Equal(["GlobalBurst 0 is out of range 1 to 1000000", "Destinations 0 is out of range 1 to 1048576"], e.Errors);
        Assert.Equal(5, Send(5, Host));
    }
}
