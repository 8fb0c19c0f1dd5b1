using System.Runtime.InteropServices;

namespace Flow;

/// <summary>
/// The calling OS thread: its kernel id and the CPUs it runs on. Workers pin through here, and so
/// do the benchmarks' hand-made threads (they cannot name <c>Interop</c>: every backend they see
/// has its own, see src/Common/Interop/Interop.Libraries.cs).
/// </summary>
internal static unsafe class OsThread
{
    /// <summary>cpu_set_t is 1024 bits in glibc.</summary>
    private const int CpuSetBytes = 128;

    /// <summary>gettid(2): the kernel's id of the calling thread (for /proc/self/task/&lt;tid&gt;).</summary>
    public static int CurrentId => Interop.Sys.GetTid();

    /// <summary>Pins the calling thread to one CPU; returns 0 or an errno.</summary>
    public static int Pin(int cpu)
    {
        byte* mask = stackalloc byte[CpuSetBytes];
        // Zeroed: the kernel reads the whole set.
        new Span<byte>(mask, CpuSetBytes).Clear();
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        return Interop.Sys.SchedSetAffinity(0, CpuSetBytes, mask) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>CPUs the calling thread may run on (all of <see cref="Environment.ProcessorCount"/> when the mask cannot be read).</summary>
    public static IReadOnlyList<int> AllowedCpus()
    {
        byte* mask = stackalloc byte[CpuSetBytes];
        new Span<byte>(mask, CpuSetBytes).Clear();
        var cpus = new List<int>();
        if (Interop.Sys.SchedGetAffinity(0, CpuSetBytes, mask) != 0)
        {
            for (int i = 0; i < Environment.ProcessorCount; i++)
            {
                cpus.Add(i);
            }
            return cpus;
        }
        for (int i = 0; i < CpuSetBytes * 8; i++)
        {
            if ((mask[i / 8] & (1 << (i % 8))) != 0)
            {
                cpus.Add(i);
            }
        }
        return cpus;
    }
}
