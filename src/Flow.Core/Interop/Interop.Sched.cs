using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>cpu_set_t is 1024 bits in glibc.</summary>
        public const int CpuSetBytes = 128;

        /// <summary>sched_setaffinity(2); pid 0 is the calling thread.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "sched_setaffinity", SetLastError = true)]
        public static partial int SchedSetAffinity(int pid, nuint cpuSetSize, byte* mask);

        [LibraryImport(Libraries.Libc, EntryPoint = "sched_getaffinity", SetLastError = true)]
        public static partial int SchedGetAffinity(int pid, nuint cpuSetSize, byte* mask);

        /// <summary>Pins the calling thread to one CPU; returns 0 or an errno.</summary>
        public static int PinCurrentThread(int cpu)
        {
            byte* mask = stackalloc byte[CpuSetBytes];
            new Span<byte>(mask, CpuSetBytes).Clear();
            mask[cpu / 8] = (byte)(1 << (cpu % 8));
            return SchedSetAffinity(0, CpuSetBytes, mask) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>CPUs this process may run on.</summary>
        public static IReadOnlyList<int> AllowedCpus()
        {
            byte* mask = stackalloc byte[CpuSetBytes];
            new Span<byte>(mask, CpuSetBytes).Clear();
            var cpus = new List<int>();
            if (SchedGetAffinity(0, CpuSetBytes, mask) != 0)
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
}
