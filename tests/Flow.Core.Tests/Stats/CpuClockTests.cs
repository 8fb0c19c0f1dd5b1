using Xunit;

namespace Flow.Core.Tests.Stats;

public class CpuClockTests
{
    [Fact]
    public void TheClockIsTheFirstCpuMhzOfCpuinfoInGigahertz()
    {
        const string cpuInfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2096.010\ncache size\t: 512 KB\n\nprocessor\t: 1\ncpu MHz\t\t: 3000.000\n";
        Assert.Equal(2.09601, CpuClock.Parse(cpuInfo), 6);
    }

    [Fact]
    public void ACpuinfoWithoutAClockGivesNaN()
    {
        Assert.True(double.IsNaN(CpuClock.Parse("processor\t: 0\nBogoMIPS\t: 50.00\n")));
        Assert.True(double.IsNaN(CpuClock.Parse("cpu MHz\t\t: unknown\n")));
        Assert.True(double.IsNaN(CpuClock.Parse(null)));
    }

    [Fact]
    public void ThisMachineReportsItsClockAndStatsConvertNanosecondsToCycles()
    {
        double ghz = CpuClock.GigaHertz;
        Assert.True(ghz is > 0.1 and < 10, $"/proc/cpuinfo gave {ghz} GHz");
        var stats = new StageStats("s", "t", 0, 0, 0, 0, 0, 0, 10.0, [], []);
        Assert.Equal(10.0 * ghz, stats.CyclesPerPacket!.Value, 9);
    }
}
