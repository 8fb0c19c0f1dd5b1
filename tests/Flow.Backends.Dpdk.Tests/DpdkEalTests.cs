using Xunit;

namespace Flow.Backends.Dpdk.Tests;

[Collection(nameof(DpdkCollection))]
public sealed class DpdkEalTests
{
    [Fact]
    public void TheShimsMbufLayoutIsTheOneFlowReads()
    {
        Devices.Require();
        Assert.Null(DpdkEal.NotSupportedReason);
        Assert.StartsWith("DPDK 22.11", DpdkEal.Version);
    }

    [Fact]
    public void StartsOnceAndLeavesTheProcessCpuAffinityAlone()
    {
        Devices.Require();
        string before = CpusAllowed("thread-self");
        string process = CpusAllowed("self");
        DpdkEal.EnsureInitialized();
        DpdkEal.EnsureInitialized();
        Assert.True(DpdkEal.IsInitialized);
        Assert.Equal(before, CpusAllowed("thread-self"));
        Assert.Equal(process, CpusAllowed("self"));
        // A thread started after EAL may still run on every CPU the process had.
        string seen = "";
        var thread = new Thread(() => seen = CpusAllowed("thread-self"));
        thread.Start();
        thread.Join();
        Assert.Equal(before, seen);
        Assert.Contains("--no-huge", DpdkEal.Arguments!);
        Assert.NotNull(DpdkEal.RuntimeDirectory);
    }

    /// <summary>Cpus_allowed_list of /proc/self (the main thread) or /proc/thread-self (the caller).</summary>
    private static string CpusAllowed(string who) =>
        File.ReadLines($"/proc/{who}/status").First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));

    [Fact]
    public void ArgumentsCannotChangeOnceStarted()
    {
        Devices.Require();
        DpdkEal.EnsureInitialized();
        var error = Assert.Throws<InvalidOperationException>(() => DpdkEal.Configure(["--no-huge"]));
        Assert.Contains("starts once per process", error.Message);
    }

    [Fact]
    public void AWorkerThreadRegistersAsADpdkThreadAndUnregisters()
    {
        Devices.Require();
        DpdkEal.EnsureInitialized();
        uint before = 0, during = 0, after = 0;
        var thread = new Thread(() =>
        {
            before = DpdkEal.CurrentLcore;
            DpdkEal.RegisterThread();
            DpdkEal.RegisterThread();
            during = DpdkEal.CurrentLcore;
            DpdkEal.UnregisterThread();
            DpdkEal.UnregisterThread();
            after = DpdkEal.CurrentLcore;
        });
        thread.Start();
        thread.Join();
        Assert.Equal(uint.MaxValue, before);
        Assert.NotEqual(uint.MaxValue, during);
        Assert.Equal(uint.MaxValue, after);
    }

    [Fact]
    public void ArgumentsAskingForHugepagesWithNoneFreeFailSayingSo()
    {
        var error = Assert.Throws<DpdkException>(() => DpdkEal.CheckPrerequisites(["flow", "--in-memory"], hugePagesFree: 0));
        Assert.Contains("hugepages", error.Message);
        Assert.Contains("--no-huge", error.Message);
        DpdkEal.CheckPrerequisites(["flow", "--in-memory"], hugePagesFree: 256);
        DpdkEal.CheckPrerequisites(["flow", "--no-huge"], hugePagesFree: 0);
    }
}
