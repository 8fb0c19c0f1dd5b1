using System.Globalization;

namespace Flow;

/// <summary>
/// The CPU's clock rate, for turning the sampled nanoseconds per packet into cycles per packet
/// (the figure DPDK and VPP users compare). Read once from <c>/proc/cpuinfo</c>'s first
/// <c>cpu MHz</c>; on a VM or with a fixed governor that is the rate the cycles are counted at,
/// with frequency scaling it is approximate. NaN where the kernel does not say.
/// </summary>
public static class CpuClock
{
    private static readonly Lazy<double> s_gigahertz = new(() => Parse(ReadCpuInfo()));

    /// <summary>Clock rate in GHz (cycles per nanosecond), or NaN when unknown.</summary>
    public static double GigaHertz => s_gigahertz.Value;

    /// <summary>The first <c>cpu MHz</c> of a <c>/proc/cpuinfo</c> text, in GHz; NaN when there is none.</summary>
    public static double Parse(string? cpuInfo)
    {
        if (cpuInfo is null)
        {
            return double.NaN;
        }
        foreach (string line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().SequenceEqual("cpu MHz") &&
                double.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) && mhz > 0)
            {
                return mhz / 1000;
            }
        }
        return double.NaN;
    }

    private static string? ReadCpuInfo()
    {
        try
        {
            return File.ReadAllText("/proc/cpuinfo");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
