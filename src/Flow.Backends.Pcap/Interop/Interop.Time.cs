using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int CLOCK_REALTIME = 0;

        [StructLayout(LayoutKind.Sequential)]
        public struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        /// <summary>
        /// clock_gettime(2): a vDSO read, non-blocking, well under a microsecond, no callbacks
        /// and no locks, so the GC transition can be skipped (STYLE D4).
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "clock_gettime")]
        [SuppressGCTransition]
        public static partial int ClockGetTime(int clock, TimeSpec* time);

        /// <summary>Wall-clock nanoseconds since the Unix epoch (pcap timestamps are wall time).</summary>
        public static long RealtimeNanoseconds()
        {
            TimeSpec time;
            ClockGetTime(CLOCK_REALTIME, &time);
            return time.Seconds * 1_000_000_000L + time.Nanoseconds;
        }
    }
}
