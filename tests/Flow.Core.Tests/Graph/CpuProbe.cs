using System.Runtime.InteropServices;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// Passes packets on and records, on the worker thread itself, the CPU the kernel ran each batch
/// on (sched_getcpu) and the thread's affinity mask: what pinning really did, not what was asked.
/// </summary>
public sealed unsafe partial class CpuProbe : Stage<CpuProbe.Output, NoDrop>
{
    public enum Output : byte
    {
        Out,
    }

    private readonly HashSet<int> _cpus = new();
    private readonly HashSet<int> _allowed = new();

    public IReadOnlyCollection<int> CpusSeen => _cpus;

    public IReadOnlyCollection<int> AllowedCpus => _allowed;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        _cpus.Add(SchedGetCpu());
        byte* mask = stackalloc byte[128];
        new Span<byte>(mask, 128).Clear();
        if (Interop.Sys.SchedGetAffinity(0, 128, mask) != 0)
        {
            throw new InvalidOperationException($"sched_getaffinity failed: errno {Marshal.GetLastPInvokeError()}");
        }
        for (int cpu = 0; cpu < 128 * 8; cpu++)
        {
            if ((mask[cpu / 8] & (1 << (cpu % 8))) != 0)
            {
                _allowed.Add(cpu);
            }
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }

    // Only the tests ask which CPU a thread runs on; sched_getaffinity is Core's own declaration.
    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();
}
